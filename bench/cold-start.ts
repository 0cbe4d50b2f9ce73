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
import { INVOCATIONS_NODE_OPTIONS } from '../lib/constructs/invocations-bundling.js';
import { bundleLikeCdk, type Bundle } from './support/bundle.js';
import { PROBE_SOURCE, parseProbeOutput } from './support/cold-start-probe.js';
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

interface Variant {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

interface Samples {
  /** Wall time of the variant minus the baseline of the same round. */
  readonly overBaselineMs: number[];
  /** Time spent in `import()` as the child measured it. */
  readonly importMs: number[];
}

/** Environment of the measured handlers: what the construct sets, with local stand-ins for AWS. */
function handlerEnvironment(dataDir: string, nodeOptions: string): NodeJS.ProcessEnv {
  return cleanEnvironment({
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'rag-serving',
    POWERTOOLS_METRICS_NAMESPACE: 'RagServing',
    RAG_DATA_DIR: dataDir,
    SESSION_TABLE_NAME: 'rag-sessions-bench',
    PINECONE_API_KEY: 'bench',
    PINECONE_HOST: 'http://127.0.0.1:9',
  });
}

async function measureInit(variants: readonly Variant[]): Promise<Map<string, Samples>> {
  const samples = new Map<string, Samples>(
    variants.map((v) => [v.name, { overBaselineMs: [], importMs: [] }]),
  );
  const baseline: Variant = { name: 'baseline', args: ['-e', '0'], env: variants[0]?.env ?? {} };
  // Round 0 warms the file cache and is dropped.
  for (let round = 0; round <= ROUNDS; round++) {
    const wall = new Map<string, number>();
    for (const variant of shuffled([baseline, ...variants])) {
      const run = await runTimed(process.execPath, variant.args, { env: variant.env });
      const probe = variant === baseline ? undefined : parseProbeOutput(run.stdout);
      if (run.code !== 0 || (variant !== baseline && !probe)) {
        throw new Error(`${variant.name} failed (exit ${String(run.code)}):\n${run.stderr}${run.stdout}`);
      }
      wall.set(variant.name, run.wallMs);
      if (round > 0 && probe) samples.get(variant.name)?.importMs.push(probe.initMs);
    }
    if (round === 0) continue;
    for (const variant of variants) {
      samples
        .get(variant.name)
        ?.overBaselineMs.push((wall.get(variant.name) as number) - (wall.get('baseline') as number));
    }
    if (round % 5 === 0) progress(`init round ${round}/${ROUNDS}`);
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

    const env = handlerEnvironment(join(work, 'data'), INVOCATIONS_NODE_OPTIONS);
    const probe = (bundle: Bundle) => ['--input-type=module', '-e', PROBE_SOURCE, bundle.file, 'init'];
    const variants: Variant[] = [
      { name: 'ours', args: probe(ours), env },
      { name: 'langchain', args: probe(langchain), env },
      {
        name: 'ours, no source maps',
        args: probe(ours),
        env: handlerEnvironment(join(work, 'data'), ''),
      },
    ];
    progress(`init: ${ROUNDS} rounds of ${variants.length + 1} fresh processes`);
    const init = await measureInit(variants);
    const initOf = (name: string) => median(init.get(name)?.overBaselineMs ?? []);
    const importOf = (name: string) => median(init.get(name)?.importMs ?? []);

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
        figure: 'module init, ours without --enable-source-maps',
        value: initOf('ours, no source maps'),
        unit: 'ms',
        note: `with it: ${formatValue(initOf('ours'), 'ms')}`,
      },
    ];
    return {
      name: 'cold-start',
      title: 'Cold start',
      figures,
      findings: [
        `ours, largest packages: ${topPackages(ours, 8)}`,
        `LangChain, largest packages: ${topPackages(langchain, 8)}`,
        `import() alone: ours ${formatValue(importOf('ours'), 'ms')}, LangChain ${formatValue(importOf('langchain'), 'ms')}`,
      ],
      details: {
        rounds: ROUNDS,
        nodeOptions: INVOCATIONS_NODE_OPTIONS,
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
