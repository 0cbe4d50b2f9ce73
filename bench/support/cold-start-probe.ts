/**
 * What a measured child process runs (`node --input-type=module -e PROBE_SOURCE <bundle> <mode> [event]`),
 * kept as source text so the child loads nothing but node and the bundle: no tsx, no test helpers.
 *
 * It stands in for the Lambda Node.js runtime: it defines the `awslambda` global the runtime
 * provides for response streaming, imports the handler module (init), and in `first-request` mode
 * invokes the handler once with an API Gateway proxy event and waits for the response to end.
 * The result goes to stdout as one `BENCH_RESULT {...}` line, beside whatever the handler logs.
 */
export const PROBE_SOURCE = `
const [bundle, mode, eventJson] = process.argv.slice(1);
const preludes = new WeakMap();
globalThis.awslambda ??= {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: { from: (stream, prelude) => (preludes.set(stream, prelude), stream) },
};
const started = performance.now();
const { handler } = await import(bundle);
const initMs = performance.now() - started;
const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
const result = { initMs, initCpuMs: cpuMs() };
if (mode === 'first-request') {
  const { Writable } = await import('node:stream');
  const chunks = [];
  const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(chunk); done(); } });
  const finished = new Promise((resolve, reject) => { stream.on('finish', resolve); stream.on('error', reject); });
  const context = {
    awsRequestId: 'cold-start-probe', functionName: 'probe', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe', memoryLimitInMB: '1024',
    logGroupName: 'probe', logStreamName: 'probe', callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30000, done() {}, fail() {}, succeed() {},
  };
  const requestStarted = performance.now();
  await handler(JSON.parse(eventJson), stream, context);
  await finished;
  result.firstRequestMs = performance.now() - requestStarted;
  result.firstRequestCpuMs = cpuMs();
  result.statusCode = preludes.get(stream)?.statusCode ?? 200;
  result.body = Buffer.concat(chunks).toString('utf8');
}
process.stdout.write('\\nBENCH_RESULT ' + JSON.stringify(result) + '\\n', () => process.exit(0));
`;

/** The baseline's CPU time: node started, ran nothing, reports. */
export const BASELINE_CPU_SOURCE = `const { user, system } = process.cpuUsage();
process.stdout.write('BENCH_RESULT ' + JSON.stringify({ initMs: 0, initCpuMs: (user + system) / 1000 }) + '\\n');`;

export interface ProbeResult {
  readonly initMs: number;
  /** CPU time (user + system) of the whole process until init ended: robust to a busy machine. */
  readonly initCpuMs: number;
  readonly firstRequestMs?: number;
  /** CPU time of the whole process until the first response ended. */
  readonly firstRequestCpuMs?: number;
  readonly statusCode?: number;
  readonly body?: string;
}

export function parseProbeOutput(stdout: string): ProbeResult | undefined {
  const line = stdout
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith('BENCH_RESULT '));
  return line === undefined ? undefined : (JSON.parse(line.slice('BENCH_RESULT '.length)) as ProbeResult);
}
