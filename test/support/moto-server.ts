import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Region and dummy credentials for SDK clients pointed at moto. */
export const MOTO_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
} as const;

/** The same region and dummy credentials as environment variables, for code that reads them from there. */
export const MOTO_ENVIRONMENT = {
  AWS_REGION: MOTO_CLIENT_CONFIG.region,
  AWS_ACCESS_KEY_ID: MOTO_CLIENT_CONFIG.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: MOTO_CLIENT_CONFIG.credentials.secretAccessKey,
} as const;

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: one endpoint for every service moto answers. */
  readonly endpoint: string;
  /** Client settings for any AWS SDK client: the endpoint, a region and dummy credentials. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: boolean;
  };
  /** Forgets every resource (buckets, queues, stacks, ...). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `moto_server` (the machine's Python moto 5.2, an AWS stand-in) on an ephemeral port of
 * 127.0.0.1 and resolves once it says where it listens, so tests never wait on a timer.
 */
export async function startMotoServer(): Promise<MotoServer> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    const output: string[] = [];
    lines.on('line', (line) => {
      output.push(line);
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}: ${output.join('\n')}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientConfig: {
      endpoint,
      ...MOTO_CLIENT_CONFIG,
      credentials: { ...MOTO_CLIENT_CONFIG.credentials },
      forcePathStyle: true,
    },
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
