import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../src/shared/env.js';
import { API_ROUTES } from '../../src/shared/routes.js';

/**
 * The sample corpus is the product's own documentation and what the demo answers from, so it may
 * only name what exists. What exists is read from the code itself, never listed here: the npm
 * scripts in package.json, the environment variables of src/shared/env.ts, the routes of
 * src/shared/routes.ts, the commands and options the CLIs print in their --help. A feature that
 * lands is therefore documented without touching this test; a page that describes one that has
 * not landed fails it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORPUS = join(ROOT, 'examples', 'corpus');
const run = promisify(execFile);

/**
 * Variables the corpus may name although no code of ours reads them, each with the reason. Kept
 * short on purpose: a name belongs here only when another program reads it.
 */
const OTHER_PROGRAMS_VARIABLES: Readonly<Record<string, string>> = {
  DATABRICKS_HOST: 'read by the Databricks SDK, which the corpus shows pointed at rag-serving',
  DATABRICKS_TOKEN: 'read by the Databricks SDK',
  AWS_PROFILE: 'read by the AWS CLI and SDKs (credentials for cdk deploy)',
  AWS_REGION: 'read by the AWS SDKs and the CDK',
  CDK_DISABLE_CLI_TELEMETRY: 'read by the AWS CDK CLI',
};
/** Shell variables the corpus's own examples define and use; api/connecting-clients.txt says so. */
const EXAMPLE_SHELL_VARIABLES: ReadonlySet<string> = new Set(['RAG_URL']);

interface Page {
  readonly path: string;
  readonly text: string;
}

/** A page as a reader sees it: HTML tags dropped, entities resolved. */
function readable(path: string, raw: string): string {
  if (!/\.html?$/.test(path)) return raw;
  return raw
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

async function corpusPages(): Promise<Page[]> {
  const entries = await readdir(CORPUS, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(
    files.map(async (file) => {
      const path = file.slice(CORPUS.length + 1);
      return { path, text: readable(path, await readFile(file, 'utf8')) };
    }),
  );
}

/** Every match of `pattern` (global, group 1) in every page, as "name (page)" pairs. */
function mentions(pages: readonly Page[], pattern: RegExp): { name: string; page: string }[] {
  return pages.flatMap((page) =>
    [...page.text.matchAll(pattern)].map((m) => ({ name: m[1] as string, page: page.path })),
  );
}

const missing = (found: { name: string; page: string }[], exists: (name: string) => boolean): string[] =>
  [...new Set(found.filter((f) => !exists(f.name)).map((f) => `${f.name} (${f.page})`))].sort();

/** String literals of our code (src/ and lib/): error codes, PII entity names, metric names. */
async function codeLiterals(): Promise<Set<string>> {
  const literals = new Set<string>();
  for (const folder of ['src', 'lib']) {
    const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true });
    for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.ts'))) {
      const source = await readFile(join(entry.parentPath, entry.name), 'utf8');
      for (const m of source.matchAll(/['"`]([A-Za-z0-9_.-]+)['"`]/g)) literals.add(m[1] as string);
    }
  }
  return literals;
}

const NPX_RAG = 'npx rag';
const shown = (script: string) => (script === NPX_RAG ? NPX_RAG : `npm run ${script} --`);

interface CliHelp {
  readonly commands: ReadonlySet<string>;
  readonly options: ReadonlySet<string>;
  /** Options that take a value (`--stage <name>`): the word after them is not a command. */
  readonly valued: ReadonlySet<string>;
}

/** What a CLI says about itself: the commands and options its --help lists. */
async function cliHelp(script: string, args: readonly string[]): Promise<CliHelp> {
  // `tsx <entry>` or `tsx <entry> <subcommand…>` (e.g. `sql`: `tsx src/cli/rag.ts sql`).
  const [, entry, fixed = ''] = /^tsx (\S+)((?:\s+[a-z][\w-]*)*)$/.exec(script) ?? [];
  if (!entry) throw new Error(`cannot ask '${script}' for its help`);
  const fixedArgs = fixed.split(/\s+/).filter(Boolean);
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, entry), ...fixedArgs, ...args, '--help'],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  const section = (title: string) => stdout.split(/\n(?=\S)/).find((block) => block.startsWith(title)) ?? '';
  return {
    commands: new Set([...section('Commands:').matchAll(/^\s{2}([a-z][\w-]*)/gm)].map((m) => m[1] as string)),
    options: new Set([...section('Options:').matchAll(/(--[a-z][\w-]*)/g)].map((m) => m[1] as string)),
    valued: new Set([...section('Options:').matchAll(/(--[a-z][\w-]*)[ =][<[]/g)].map((m) => m[1] as string)),
  };
}

interface Facts {
  readonly scripts: Readonly<Record<string, string>>;
  readonly envVars: ReadonlySet<string>;
  readonly literals: ReadonlySet<string>;
}

function scriptProblems(pages: readonly Page[], { scripts }: Facts): string[] {
  const runs = mentions(pages, /\bnpm run(?:-script)?\s+(?:-s\s+)?([a-z][\w:.-]*\w)/g);
  const lifecycle = mentions(pages, /\bnpm (start|test|stop|restart)\b/g);
  return missing([...runs, ...lifecycle], (name) => name in scripts);
}

function envProblems(pages: readonly Page[], { envVars, literals }: Facts): string[] {
  const ours = mentions(pages, /\b(RAG_[A-Z0-9_]+)\b/g);
  const assigned = mentions(pages, /(?:^|[\s(`$"'])([A-Z][A-Z0-9_]*)=/gm);
  const listed = mentions(pages, /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm);
  const spelled = mentions(pages, /`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g);
  return missing([...ours, ...assigned, ...listed, ...spelled], (name) =>
    name.startsWith('RAG_')
      ? envVars.has(name) || EXAMPLE_SHELL_VARIABLES.has(name)
      : envVars.has(name) || name in OTHER_PROGRAMS_VARIABLES || literals.has(name),
  );
}

function routeProblems(pages: readonly Page[]): string[] {
  const patterns = API_ROUTES.map((route) => ({
    method: route.method,
    pattern: new RegExp(`^${route.resource.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  }));
  const served = (method: string | undefined, path: string) =>
    patterns.some(
      (p) => (method === undefined || p.method === method) && p.pattern.test(path.split('?')[0] as string),
    );
  const withMethod = pages.flatMap((page) =>
    [...page.text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE)\s+(\/[\w{}/.-]*)/g)].map((m) => ({
      name: `${m[1]} ${m[2]}`,
      page: page.path,
    })),
  );
  const inUrls = mentions(
    pages,
    /(?:\$\{?RAG_URL\}?|https?:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?)(\/[\w{}/.?=&-]*)/g,
  )
    // `/v1…` is the API root of an OpenAI-compatible model server (Ollama's http://127.0.0.1:11434/v1), not ours.
    .filter((f) => f.name.length > 1 && !/^\/v1(\/|$)/.test(f.name));
  return [
    ...missing(withMethod, (name) => served(name.split(' ')[0], name.split(' ')[1] as string)),
    ...missing(inUrls, (path) => served(undefined, path)),
  ];
}

async function cliProblems(pages: readonly Page[], { scripts }: Facts): Promise<string[]> {
  // `npx rag …` runs the same entry as `bin/rag.js`; treated as a script named `npx rag`.
  const known: Readonly<Record<string, string>> = { ...scripts, [NPX_RAG]: 'tsx src/cli/rag.ts' };
  const calls = [
    ...mentions(pages, /\bnpm run(?:-script)?\s+([a-z][\w:.-]*\s+--\s+[^\n`|;&#]*)/g),
    // Only where it reads as a command (a line, a table cell or code), not in running prose.
    ...mentions(pages, /(?:^[ \t]*|`|\|[ \t]*)npx rag\s+([^\n`|;&#"']*)/gm).map((m) => ({
      ...m,
      name: `${NPX_RAG} -- ${m.name}`,
    })),
  ];
  const helps = new Map<string, Promise<CliHelp>>();
  const helpOf = (script: string, args: string[]) => {
    const key = `${script} ${args.join(' ')}`;
    if (!helps.has(key)) helps.set(key, cliHelp(known[script] as string, args));
    return helps.get(key) as Promise<CliHelp>;
  };
  const problems: string[] = [];
  for (const { name: call, page } of calls) {
    const [script, rest] = call.split(/\s+--\s+/) as [string, string];
    if (!(script in known)) continue; // reported by the scripts check
    const words = rest.split(/\s+/).filter(Boolean);
    // Walk down the subcommands the words name (`tokens create`), then check every flag against
    // the options of the command reached and of the commands above it.
    const path: string[] = [];
    const levels = [await helpOf(script, [])];
    const positional = words.filter(
      (w, i) =>
        !w.startsWith('-') &&
        !w.startsWith('<') &&
        !levels.some((level) => level.valued.has(words[i - 1]?.replace(/^\[/, '') ?? '')),
    );
    for (const word of positional) {
      const level = levels[levels.length - 1] as CliHelp;
      if (level.commands.size === 0) break;
      if (!level.commands.has(word)) {
        if (path.length === 0) problems.push(`${shown(script)} ${word} (${page})`);
        break;
      }
      path.push(word);
      levels.push(await helpOf(script, [...path]));
    }
    for (const flag of words.flatMap((w) => /^\[?(--[a-z][\w-]*)/.exec(w)?.[1] ?? [])) {
      if (!levels.some((level) => level.options.has(flag)))
        problems.push(`${shown(script)} ${flag} (${page})`);
    }
  }
  return [...new Set(problems)].sort();
}

describe('the sample corpus names only what exists', () => {
  let pages: Page[];
  let facts: Facts;

  beforeAll(async () => {
    pages = await corpusPages();
    const packageJson = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    facts = {
      scripts: packageJson.scripts,
      envVars: new Set<string>(Object.values(EnvVar)),
      literals: await codeLiterals(),
    };
  });

  it('names only npm scripts that package.json defines', () => {
    expect(scriptProblems(pages, facts)).toEqual([]);
  });

  it('names only environment variables the code reads (or that another program reads)', () => {
    expect(envProblems(pages, facts)).toEqual([]);
  });

  it('names only routes the API serves, with their methods', () => {
    expect(routeProblems(pages)).toEqual([]);
  });

  it("names only CLI commands and options the CLIs' --help lists", async () => {
    expect(await cliProblems(pages, facts)).toEqual([]);
  }, 60_000);

  it('catches a page that names what does not exist', async () => {
    // Prepare: one page with one made-up name of each kind, beside a real one.
    const page: Page = {
      path: 'made-up.md',
      text: [
        '| `RAG_TURBO_MODE` | off | makes it fast |',
        'Run `npm run deploy-everything`, then `PORT=9000 RAG_NOT_A_SETTING=1 npm start`.',
        'Open `GET /ui/dashboard` or curl "$RAG_URL/admin/reindex".',
        '```\nnpm run tokens -- rotate --all\nnpm run ingest -- ./docs --watch\n```',
        '```\nnpx rag teleport\nnpx rag tokens create --principal a --color\n```',
        'In prose, npx rag runs the CLI (not a command line).',
        'A real one, with an option value before the command: `npm run tokens -- --stage dev create --principal a`.',
      ].join('\n'),
    };
    // Act & Assess
    expect(scriptProblems([page], facts)).toEqual(['deploy-everything (made-up.md)']);
    expect(envProblems([page], facts)).toEqual([
      'RAG_NOT_A_SETTING (made-up.md)',
      'RAG_TURBO_MODE (made-up.md)',
    ]);
    expect(routeProblems([page])).toEqual(['GET /ui/dashboard (made-up.md)', '/admin/reindex (made-up.md)']);
    expect(await cliProblems([page], facts)).toEqual([
      'npm run ingest -- --watch (made-up.md)',
      'npm run tokens -- --all (made-up.md)',
      'npm run tokens -- rotate (made-up.md)',
      'npx rag --color (made-up.md)',
      'npx rag teleport (made-up.md)',
    ]);
  }, 60_000);
});
