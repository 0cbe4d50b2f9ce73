import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from './script.js';

export interface TimedRun {
  /** From spawn to exit, as the parent saw it. */
  readonly wallMs: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a process to completion and measures its wall time from the parent's side. */
export function runTimed(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string },
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let exitedAt = 0;
    const child = spawn(command, args, {
      env: options.env,
      ...(options.cwd && { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('exit', () => {
      exitedAt = performance.now();
    });
    child.once('close', (code) =>
      resolve({
        wallMs: (exitedAt || performance.now()) - started,
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/**
 * The environment a measured child gets: nothing inherited but PATH and HOME, so that a
 * developer's NODE_OPTIONS or AWS profile cannot change what is measured.
 */
export function cleanEnvironment(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...extra,
  };
}

/**
 * Installs a peer project's locked dependencies (`npm ci`) when its node_modules is missing or was
 * installed from another lockfile, so a changed peer is never measured with stale packages.
 */
export function ensureInstalled(projectDir: string): void {
  const lockHash = createHash('sha256')
    .update(readFileSync(join(projectDir, 'package-lock.json')))
    .digest('hex');
  const stamp = join(projectDir, 'node_modules', '.installed-from-lock');
  let installed: string | undefined;
  try {
    installed = readFileSync(stamp, 'utf8');
  } catch {
    installed = undefined;
  }
  if (installed === lockHash) return;
  progress(`npm ci in ${projectDir} (its lockfile changed or it was never installed)`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: projectDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`npm ci failed in ${projectDir} (exit ${String(result.status)})`);
  writeFileSync(stamp, lockHash);
}
