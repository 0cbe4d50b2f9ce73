import { bundleLikeCdk } from './support/bundle.js';
const b = await bundleLikeCdk(process.argv[2]!, process.argv[3]!, process.cwd());
console.log(b.file, b.bytes);
