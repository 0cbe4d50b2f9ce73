/**
 * Cold start (issues 7.1 and 12): bundle size, module init and init plus the first request of the
 * invocations handler, bundled exactly as CDK bundles it, against the same handler written with
 * LangChain.js twice: with its retrieval chains (the leaner, main peer) and with a v1 agent.
 * Before anything is timed, each handler answers one request against the fakes and must quote a
 * passage it retrieved (see grounded-answer.ts): a handler that retrieves nothing cannot look fast.
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
import {
  BASELINE_CPU_SOURCE,
  PROBE_SOURCE,
  parseProbeOutput,
  type ProbeResult,
} from './support/cold-start-probe.js';
import { startFakeBackendsProcess } from './support/fake-serving.js';
import { ungroundedReason } from './support/grounded-answer.js';
import { NO_LATENCIES } from './support/injected-latencies.js';
import { cleanEnvironment, ensureInstalled, runTimed } from './support/processes.js';
import { formatValue, type Figure, type Section } from './support/report.js';
import { isMain, progress, runSection } from './support/script.js';
import { median, shuffled } from './support/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUR_ENTRY = join(ROOT, 'functions/invocations/handler.ts');
const LANGCHAIN_DIR = join(ROOT, 'bench/peers/langchain');
/** The peers, strongest (leanest) first: the goals are set against it. */
const PEERS = {
  chains: { entry: join(LANGCHAIN_DIR, 'retrieval-chains-handler.ts'), label: 'LangChain retrieval chains' },
  agent: { entry: join(LANGCHAIN_DIR, 'agent-handler.ts'), label: 'LangChain agent' },
} as const;
/** At least 15 fresh processes per variant (the issue's floor); more only make it slower. */
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
      const failure =
        run.code !== 0 || (variant !== wallBaseline && !probe)
          ? `exit ${String(run.code)}`
          : probe?.firstRequestMs !== undefined
            ? answerFailure(probe)
            : undefined;
      if (failure !== undefined)
        throw new Error(`${variant.name} failed (${failure}):\n${run.stderr}${run.stdout}`);
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

/** Why a first request's answer does not count: not a 200, or not answered from retrieved text. */
function answerFailure(probe: ProbeResult): string | undefined {
  if (probe.statusCode !== 200) return `status ${String(probe.statusCode)}`;
  let predictions: unknown[] | undefined;
  try {
    predictions = (JSON.parse(probe.body ?? '') as { predictions?: unknown[] }).predictions;
  } catch {
    return 'the body is not JSON';
  }
  return ungroundedReason(predictions?.[0] as Parameters<typeof ungroundedReason>[0]);
}

function topPackages(bundle: Bundle, count: number): string {
  return bundle.byPackage
    .slice(0, count)
    .map(({ name, bytes }) => `${name} ${formatValue(bytes, 'bytes')}`)
    .join(', ');
}

/** `ours / peer` of one measure, as a figure. */
function ratioFigure(
  figure: string,
  ours: number,
  peer: number,
  unit: 'ms' | 'bytes',
  options: { goal?: number; note?: string } = {},
): Figure {
  return {
    figure,
    value: ours / peer,
    unit: 'ratio',
    ...(options.goal !== undefined && { goal: { op: '<=', target: options.goal } }),
    note: `${formatValue(ours, unit)} vs ${formatValue(peer, unit)}${options.note ? `; ${options.note}` : ''}`,
  };
}

export async function coldStart(): Promise<Section> {
  ensureInstalled(LANGCHAIN_DIR);
  const work = await mkdtemp(join(tmpdir(), 'rag-bench-cold-start-'));
  try {
    progress('bundling our handler and both LangChain peers like CDK');
    const ours = await bundleLikeCdk(OUR_ENTRY, join(work, 'ours'), ROOT);
    const chains = await bundleLikeCdk(PEERS.chains.entry, join(work, 'chains'), ROOT);
    const agent = await bundleLikeCdk(PEERS.agent.entry, join(work, 'agent'), ROOT);

    progress('starting the fake backends (no injected latency: the first request measures our own work)');
    const backends = await startFakeBackendsProcess(NO_LATENCIES);
    let init: Map<string, Samples>;
    const verified: string[] = [];
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
      const handlers = { ours, chains, agent };
      progress('checking that every handler answers from the passages it retrieved');
      for (const [name, bundle] of Object.entries(handlers)) {
        const run = await runTimed(process.execPath, probe(bundle, 'first-request'), { env });
        const result = parseProbeOutput(run.stdout);
        const failure = result ? answerFailure(result) : `exit ${String(run.code)}`;
        if (failure !== undefined)
          throw new Error(`${name} does not answer from retrieved text (${failure}):\n${run.stderr}`);
        verified.push(name);
      }
      const variants: Variant[] = [
        ...Object.entries(handlers).flatMap(([name, bundle]) => [
          { name, args: probe(bundle, 'init'), env },
          { name: `${name}, first request`, args: probe(bundle, 'first-request'), env },
        ]),
        { name: 'ours, source maps', args: probe(ours, 'init'), env: withSourceMaps },
        { name: 'chains, source maps', args: probe(chains, 'init'), env: withSourceMaps },
      ];
      progress(`${ROUNDS} rounds of ${variants.length + 2} fresh processes`);
      init = await measureRounds(variants, env);
    } finally {
      await backends.stop();
    }
    const initOf = (name: string) => median(init.get(name)?.overBaselineMs ?? []);
    const importOf = (name: string) => median(init.get(name)?.importMs ?? []);
    const cpuOf = (name: string) => median(init.get(name)?.cpuOverBaselineMs ?? []);
    const chainsLabel = PEERS.chains.label;
    const agentLabel = PEERS.agent.label;

    const figures: Figure[] = [
      ratioFigure(`bundle size, ours / ${chainsLabel}`, ours.bytes, chains.bytes, 'bytes', { goal: 0.4 }),
      ratioFigure(`bundle size gzip, ours / ${chainsLabel}`, ours.gzipBytes, chains.gzipBytes, 'bytes'),
      ratioFigure(
        `module init over \`node -e 0\`, ours / ${chainsLabel}`,
        initOf('ours'),
        initOf('chains'),
        'ms',
        { goal: 0.55, note: `median of ${ROUNDS}` },
      ),
      ratioFigure(
        `init + first request over \`node -e 0\`, ours / ${chainsLabel}`,
        initOf('ours, first request'),
        initOf('chains, first request'),
        'ms',
        { goal: 0.55, note: 'both answers verified to quote a retrieved passage' },
      ),
      ratioFigure(
        `module init CPU time over baseline, ours / ${chainsLabel}`,
        cpuOf('ours'),
        cpuOf('chains'),
        'ms',
        { note: 'CPU time barely moves on a busy machine' },
      ),
      ratioFigure(
        `init + first request CPU time over baseline, ours / ${chainsLabel}`,
        cpuOf('ours, first request'),
        cpuOf('chains, first request'),
        'ms',
      ),
      ratioFigure(
        `module init with --enable-source-maps (opt-in), ours / ${chainsLabel}`,
        initOf('ours, source maps'),
        initOf('chains, source maps'),
        'ms',
        { note: `CPU: ours +${formatValue(cpuOf('ours, source maps') - cpuOf('ours'), 'ms')} with the flag` },
      ),
      ratioFigure(`bundle size, ours / ${agentLabel}`, ours.bytes, agent.bytes, 'bytes'),
      ratioFigure(
        `module init over \`node -e 0\`, ours / ${agentLabel}`,
        initOf('ours'),
        initOf('agent'),
        'ms',
      ),
      ratioFigure(
        `init + first request over \`node -e 0\`, ours / ${agentLabel}`,
        initOf('ours, first request'),
        initOf('agent, first request'),
        'ms',
      ),
    ];
    return {
      name: 'cold-start',
      title: 'Cold start',
      figures,
      findings: [
        `ours, largest packages: ${topPackages(ours, 10)}`,
        `${chainsLabel}, largest packages: ${topPackages(chains, 10)}`,
        `${agentLabel}, largest packages: ${topPackages(agent, 10)}`,
        `import() alone: ours ${formatValue(importOf('ours'), 'ms')}, ${chainsLabel} ${formatValue(importOf('chains'), 'ms')}, ${agentLabel} ${formatValue(importOf('agent'), 'ms')};` +
          ' the first request (one record, a new session) goes to the fakes with no injected latency,',
        `and each handler's answer (${verified.join(', ')}) was checked to quote a passage it retrieved before timing and in every round;`,
        'all handlers configured alike: RAG_BACKEND=fakes (the cloud adapters, with a plain Pinecone key instead of the secret),',
        'the guardrail attached to the Converse call in all (RAG_GUARDRAIL_MODE=converse), so all make the same backend calls',
      ],
      details: {
        rounds: ROUNDS,
        nodeOptions: DEPLOYED_NODE_OPTIONS,
        bundles: Object.fromEntries(
          Object.entries({ ours, chains, agent }).map(([name, bundle]) => [
            name,
            { bytes: bundle.bytes, gzipBytes: bundle.gzipBytes, byPackage: bundle.byPackage },
          ]),
        ),
        initSamples: Object.fromEntries(init),
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runSection(coldStart);
