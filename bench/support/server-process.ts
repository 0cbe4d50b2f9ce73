import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ServerProcess<T> {
  readonly ready: T;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <script>` and waits for its `BENCH_READY {...}` line. Its stderr goes to
 * ours, so a failing start says why.
 */
export async function startServerProcess<T>(
  script: string,
  options: {
    env?: NodeJS.ProcessEnv;
    nodeArgs?: readonly string[];
    args?: readonly string[];
    timeoutMs?: number;
  } = {},
): Promise<ServerProcess<T>> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...(options.args ?? [])],
    {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} was not ready in time`)),
      options.timeoutMs ?? 120_000,
    );
    child.once('exit', (code) => reject(new Error(`${script} exited (${String(code)}) before it was ready`)));
    lines.on('line', (line) => {
      if (!line.startsWith('BENCH_READY ')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('BENCH_READY '.length)) as T);
    });
  });
  return {
    ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
