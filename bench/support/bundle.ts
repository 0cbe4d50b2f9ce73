import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { cdkEsbuildOptions } from '../../lib/constructs/function-bundling.js';

export interface Bundle {
  /** The `.mjs` file, as `NodejsFunction` names it for ESM. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes in the output per npm package (or per first-party folder), largest first. */
  readonly byPackage: readonly { readonly name: string; readonly bytes: number }[];
}

/** Bundles `entry` into `outDir/index.mjs` exactly as CDK does, and attributes its bytes. */
export async function bundleLikeCdk(entry: string, outDir: string, absWorkingDir: string): Promise<Bundle> {
  const file = join(outDir, 'index.mjs');
  const result = await build({
    ...cdkEsbuildOptions(),
    entryPoints: [entry],
    outfile: file,
    absWorkingDir,
    metafile: true,
  });
  const contents = await readFile(file);
  return {
    file,
    bytes: contents.byteLength,
    gzipBytes: gzipSync(contents).byteLength,
    byPackage: bytesByPackage(result.metafile, relative(absWorkingDir, file)),
  };
}

/** `node_modules/@scope/name/...` → `@scope/name`; first-party files → their top two folders. */
export function packageOf(inputPath: string): string {
  const nested = inputPath.lastIndexOf('node_modules/');
  if (nested < 0) return `(own) ${inputPath.split('/').slice(0, 2).join('/')}`;
  return /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath.slice(nested))?.[1] ?? inputPath;
}

function bytesByPackage(metafile: Metafile, outputPath: string): { name: string; bytes: number }[] {
  const output = metafile.outputs[outputPath] ?? Object.values(metafile.outputs).find((o) => o.entryPoint);
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(path);
    totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}
