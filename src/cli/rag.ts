import { runRag } from './rag/main.js';

/** `npx rag ...` (through bin/rag.js) or `tsx src/cli/rag.ts ...`. */
process.exitCode = await runRag(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
