import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** moto_server (the machine's Python moto 5.2): AWS APIs on 127.0.0.1, never real AWS. */
export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Dummy credentials and a region for SDK clients pointed at moto. */
export const MOTO_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
} as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`)).ok;
  } catch {
    return false;
  }
}

/** Starts moto_server on a free port and resolves once it answers (or rejects when it exits). */
export async function startMotoServer(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`moto_server exited (${code}): ${stderr.slice(-500)}`))),
  );
  exited.catch(() => undefined);
  // Poll until it answers (Python takes a few seconds to import moto); ends when it is up or has died.
  while (!(await Promise.race([answers(endpoint), exited]))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
