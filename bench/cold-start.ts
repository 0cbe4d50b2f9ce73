/**
 * Cold start (issue 7.1): bundle size and module init time of the invocations handler, bundled
 * exactly as CDK bundles it, against the same handler written with LangChain.js.
 *
 * Init time is the wall time of a fresh `node` process that imports the bundle, minus that of
 * `node -e 0` measured in the same round (the variants of a round run in random order), so
 * machine noise lands on all variants alike. Figures are medians over the rounds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionNodeOptions, SOURCE_MAPS_NODE_OPTION } from '../lib/constructs/function-bundling.js';
import { bundleLikeCdk, type Bundle } from './support/bundle.js';
import { BASELINE_CPU_SOURCE, PROBE_SOURCE, parseProbeOutput } from './support/cold-start-probe.js';
import { startFakeBackendsProcess } from './support/fake-serving.js';
import { NO_LATENCIES } from './support/injected-latencies.js';
import { cleanEnvironment, ensureInstalled, runTimed } from './support/processes.js';
import { formatValue, type Figure, type Section } from './support/report.js';
import { isMain, progress, runSection } from './support/script.js';
import { median, shuffled } from './support/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUR_ENTRY = join(ROOT, 'functions/invocations/handler.ts');
const LANGCHAIN_DIR = join(ROOT, 'bench/peers/langchain');
const LANGCHAIN_ENTRY = join(LANGCHAIN_DIR, 'handler.ts');
/** At least 15 fresh processes per variant (the floor); more only make it slower. */
const ROUNDS = Math.max(15, Number(process.env.BENCH_COLD_START_ROUNDS ?? 15));
/** NODE_OPTIONS as the construct sets them by default. */
const DEPLOYED_NODE_OPTIONS = functionNodeOptions() ?? '';

interface Variant {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

interface Samples {
  /** Wall time of the variant minus the `node -e 0` baseline of the same round. */
  readonly overBaselineMs: number[];
  /** CPU time (user + system) of the variant minus the CPU baseline of the same round. */
  readonly cpuOverBaselineMs: number[];
  /** Time spent in `import()` as the child measured it. */
  readonly importMs: number[];
}

/**
 * Environment of the measured handlers: what the construct sets, with the cloud adapters pointed at
 * the fakes (`RAG_BACKEND=fakes`: the deployed code path, with a plain Pinecone key instead of the
 * secret). The LangChain reference reads the same variables.
 */
function handlerEnvironment(
  backends: Readonly<Record<string, string>>,
  nodeOptions: string,
): NodeJS.ProcessEnv {
  return cleanEnvironment({
    ...backends,
    // Both handlers attach the guardrail to the Converse call, so both make the same backend calls.
    RAG_GUARDRAIL_MODE: 'converse',
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'rag-serving',
    POWERTOOLS_METRICS_NAMESPACE: 'RagServing',
  });
}

/** What API Gateway hands the function for one invocation, after the TOKEN authorizer allowed it. */
function invocationEvent(question: string): string {
  return JSON.stringify({
    resource: '/serving-endpoints/{name}/invocations',
    path: '/serving-endpoints/rag/invocations',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: { 'content-type': ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { name: 'rag' },
    stageVariables: null,
    body: JSON.stringify({ dataframe_records: [{ query: question }] }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      authorizer: { principalId: 'bench', scopes: 'invoke', namespace: '' },
      httpMethod: 'POST',
      path: '/serving-endpoints/rag/invocations',
      stage: 'bench',
      requestId: 'cold-start',
      resourcePath: '/serving-endpoints/{name}/invocations',
    },
  });
}

/**
 * Runs every variant once per round, in a new random order each round, beside two baselines:
 * `node -e 0` for wall time and a node that only reports its CPU time. Round 0 warms the file
 * cache and is dropped. A variant whose process fails, or whose first request is not a 200, stops
 * the benchmark: a broken handler must not look fast.
 */
async function measureRounds(
  variants: readonly Variant[],
  env: NodeJS.ProcessEnv,
): Promise<Map<string, Samples>> {
  const samples = new Map<string, Samples>(
    variants.map((v) => [v.name, { overBaselineMs: [], cpuOverBaselineMs: [], importMs: [] }]),
  );
  const wallBaseline: Variant = { name: 'baseline', args: ['-e', '0'], env };
  const cpuBaseline: Variant = { name: 'cpu baseline', args: ['-e', BASELINE_CPU_SOURCE], env };
  for (let round = 0; round <= ROUNDS; round++) {
    const wall = new Map<string, number>();
    const cpu = new Map<string, number>();
    for (const variant of shuffled([wallBaseline, cpuBaseline, ...variants])) {
      const run = await runTimed(process.execPath, variant.args, { env: variant.env });
      const probe = variant === wallBaseline ? undefined : parseProbeOutput(run.stdout);
      const failed =
        run.code !== 0 ||
        (variant !== wallBaseline && !probe) ||
        (probe?.firstRequestMs !== undefined &&
          (probe.statusCode !== 200 || !probe.body?.includes('"predictions"')));
      if (failed)
        throw new Error(`${variant.name} failed (exit ${String(run.code)}):\n${run.stderr}${run.stdout}`);
      wall.set(variant.name, run.wallMs);
      if (probe) cpu.set(variant.name, probe.firstRequestCpuMs ?? probe.initCpuMs);
      if (round > 0 && probe && variant !== cpuBaseline)
        samples.get(variant.name)?.importMs.push(probe.initMs);
    }
    if (round === 0) continue;
    for (const variant of variants) {
      const sample = samples.get(variant.name) as Samples;
      sample.overBaselineMs.push((wall.get(variant.name) as number) - (wall.get('baseline') as number));
      sample.cpuOverBaselineMs.push((cpu.get(variant.name) as number) - (cpu.get('cpu baseline') as number));
    }
    if (round % 5 === 0) progress(`round ${round}/${ROUNDS}`);
  }
  return samples;
}

function topPackages(bundle: Bundle, count: number): string {
  return bundle.byPackage
    .slice(0, count)
    .map(({ name, bytes }) => `${name} ${formatValue(bytes, 'bytes')}`)
    .join(', ');
}

export async function coldStart(): Promise<Section> {
  ensureInstalled(LANGCHAIN_DIR);
  const work = await mkdtemp(join(tmpdir(), 'rag-bench-cold-start-'));
  try {
    progress('bundling both handlers like CDK');
    const ours = await bundleLikeCdk(OUR_ENTRY, join(work, 'ours'), ROOT);
    const langchain = await bundleLikeCdk(LANGCHAIN_ENTRY, join(work, 'langchain'), ROOT);

    progress('starting the fake backends (no injected latency: the first request measures our own work)');
    const backends = await startFakeBackendsProcess(NO_LATENCIES);
    let init: Map<string, Samples>;
    try {
      const env = handlerEnvironment(backends.ready, DEPLOYED_NODE_OPTIONS);
      const withSourceMaps = handlerEnvironment(backends.ready, SOURCE_MAPS_NODE_OPTION);
      const event = invocationEvent('How do I rotate my bearer token?');
      const probe = (bundle: Bundle, mode: 'init' | 'first-request') => [
        '--input-type=module',
        '-e',
        PROBE_SOURCE,
        bundle.file,
        mode,
        ...(mode === 'first-request' ? [event] : []),
      ];
      const variants: Variant[] = [
        { name: 'ours', args: probe(ours, 'init'), env },
        { name: 'langchain', args: probe(langchain, 'init'), env },
        { name: 'ours, first request', args: probe(ours, 'first-request'), env },
        { name: 'langchain, first request', args: probe(langchain, 'first-request'), env },
        { name: 'ours, source maps', args: probe(ours, 'init'), env: withSourceMaps },
        { name: 'langchain, source maps', args: probe(langchain, 'init'), env: withSourceMaps },
      ];
      progress(`${ROUNDS} rounds of ${variants.length + 2} fresh processes`);
      init = await measureRounds(variants, env);
    } finally {
      await backends.stop();
    }
    const initOf = (name: string) => median(init.get(name)?.overBaselineMs ?? []);
    const importOf = (name: string) => median(init.get(name)?.importMs ?? []);
    const cpuOf = (name: string) => median(init.get(name)?.cpuOverBaselineMs ?? []);

    const figures: Figure[] = [
      {
        figure: 'bundle size, ours / LangChain',
        value: ours.bytes / langchain.bytes,
        unit: 'ratio',
        goal: { op: '<=', target: 0.5 },
        note: `${formatValue(ours.bytes, 'bytes')} vs ${formatValue(langchain.bytes, 'bytes')}`,
      },
      {
        figure: 'bundle size gzip, ours / LangChain',
        value: ours.gzipBytes / langchain.gzipBytes,
        unit: 'ratio',
        goal: { op: '<=', target: 0.5 },
        note: `${formatValue(ours.gzipBytes, 'bytes')} vs ${formatValue(langchain.gzipBytes, 'bytes')}`,
      },
      {
        figure: 'module init over `node -e 0`, ours / LangChain',
        value: initOf('ours') / initOf('langchain'),
        unit: 'ratio',
        goal: { op: '<=', target: 0.5 },
        note: `${formatValue(initOf('ours'), 'ms')} vs ${formatValue(initOf('langchain'), 'ms')}, median of ${ROUNDS}`,
      },
      {
        figure: 'init + first request over `node -e 0`, ours / LangChain',
        value: initOf('ours, first request') / initOf('langchain, first request'),
        unit: 'ratio',
        goal: { op: '<=', target: 0.5 },
        note: `${formatValue(initOf('ours, first request'), 'ms')} vs ${formatValue(initOf('langchain, first request'), 'ms')}`,
      },
      {
        figure: 'module init CPU time over baseline, ours / LangChain',
        value: cpuOf('ours') / cpuOf('langchain'),
        unit: 'ratio',
        note: `${formatValue(cpuOf('ours'), 'ms')} vs ${formatValue(cpuOf('langchain'), 'ms')}; CPU time barely moves on a busy machine`,
      },
      {
        figure: 'init + first request CPU time over baseline, ours / LangChain',
        value: cpuOf('ours, first request') / cpuOf('langchain, first request'),
        unit: 'ratio',
        note: `${formatValue(cpuOf('ours, first request'), 'ms')} vs ${formatValue(cpuOf('langchain, first request'), 'ms')}`,
      },
      {
        figure: 'module init with --enable-source-maps (opt-in), ours / LangChain',
        value: initOf('ours, source maps') / initOf('langchain, source maps'),
        unit: 'ratio',
        note: `${formatValue(initOf('ours, source maps'), 'ms')} vs ${formatValue(initOf('langchain, source maps'), 'ms')}; CPU: ours +${formatValue(cpuOf('ours, source maps') - cpuOf('ours'), 'ms')} with the flag`,
      },
    ];
    return {
      name: 'cold-start',
      title: 'Cold start',
      figures,
      findings: [
        `ours, largest packages: ${topPackages(ours, 8)}`,
        `LangChain, largest packages: ${topPackages(langchain, 8)}`,
        `import() alone: ours ${formatValue(importOf('ours'), 'ms')}, LangChain ${formatValue(importOf('langchain'), 'ms')};` +
          ' the first request (one record, a new session) goes to the fakes with no injected latency,',
        'both handlers configured alike: RAG_BACKEND=fakes (the cloud adapters, with a plain Pinecone key instead of the secret),',
        'the guardrail attached to the Converse call in both (RAG_GUARDRAIL_MODE=converse), so both make the same backend calls',
      ],
      details: {
        rounds: ROUNDS,
        nodeOptions: DEPLOYED_NODE_OPTIONS,
        bundles: {
          ours: { bytes: ours.bytes, gzipBytes: ours.gzipBytes, byPackage: ours.byPackage },
          langchain: {
            bytes: langchain.bytes,
            gzipBytes: langchain.gzipBytes,
            byPackage: langchain.byPackage,
          },
        },
        initSamples: Object.fromEntries(init),
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runSection(coldStart);
