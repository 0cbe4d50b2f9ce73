import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { issueToken } from '../auth/issue-token.js';
import { SCOPES, type Scope } from '../auth/principal.js';
import type { TokenRecord, TokenStore } from '../auth/token-store.js';
import { tokenStoreFromEnvironment } from '../composition/token-store-from-env.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { EnvVar } from '../shared/env.js';
import { parseDuration } from './duration.js';

/**
 * `npm run tokens -- create --principal NAME [--scopes invoke,sessions:read] [--expires-in 30d] [--namespace NS]`
 * `npm run tokens -- list [--json]`
 * `npm run tokens -- revoke <tokenId>`
 *
 * Manages bearer tokens in the store the server uses: the token file under the data directory
 * locally (safe while the server runs), the DynamoDB table when `TOKEN_TABLE_NAME` is set, or
 * with `--stage <name>` the token table of that deployed stage, found from its stack outputs.
 * A new token is printed once, alone on stdout so scripts can capture it; only its salted hash
 * is stored, and `list` never shows a token or a hash.
 */

export interface TokensCommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** @default the store named by the environment (and `--data-dir`) */
  readonly store?: TokenStore;
}

const PRINCIPAL_PATTERN = /^[A-Za-z0-9._@:+-]{1,128}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const DEFAULT_SCOPES: readonly Scope[] = ['invoke'];

function principalName(value: string): string {
  if (!PRINCIPAL_PATTERN.test(value))
    throw new InvalidArgumentError('use 1 to 128 letters, digits or . _ @ : + -');
  return value;
}

function namespaceName(value: string): string {
  if (!NAMESPACE_PATTERN.test(value)) throw new InvalidArgumentError('use 1 to 64 letters, digits or . _ -');
  return value;
}

function scopeList(value: string): Scope[] {
  const scopes = value.split(',').map((scope) => scope.trim());
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new InvalidArgumentError(`unknown scope ${unknown.join(', ')}; choose from ${SCOPES.join(', ')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

function lifetime(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('use a number and a unit, e.g. 90m, 12h, 30d or 1w');
  return ms;
}

function statusOf(record: TokenRecord, now: number): string {
  if (record.revoked) return 'revoked';
  if (record.expiresAt !== undefined && record.expiresAt <= now) return 'expired';
  return 'active';
}

const iso = (ms: number | undefined): string => (ms === undefined ? 'never' : new Date(ms).toISOString());

/** What `list` shows of a record: everything but the salt and hash. */
function publicView(record: TokenRecord, now: number) {
  return {
    token_id: record.tokenId,
    principal: record.principal,
    scopes: record.scopes,
    namespace: record.namespace ?? null,
    status: statusOf(record, now),
    created_at: iso(record.createdAt),
    expires_at: record.expiresAt === undefined ? null : iso(record.expiresAt),
    comment: record.comment ?? null,
  };
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** Runs the command; resolves to the process exit code. */
export async function runTokensCommand(argv: readonly string[], io: TokensCommandIo): Promise<number> {
  const env = io.env ?? process.env;
  const clock = io.clock ?? systemClock;
  let exitCode = 0;
  const program = new Command()
    .name('tokens')
    .description('Create, list and revoke bearer tokens (stored as salted hashes only).')
    .option('--data-dir <path>', `local state folder (default: $${EnvVar.dataDir} or .rag)`)
    .option(
      '--stage <name>',
      "a deployed stage: its token table, from the stack outputs (AWS credentials and the stage's region)",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError();
  const storeOf = async (): Promise<TokenStore> => {
    if (io.store) return io.store;
    const { dataDir, stage } = program.opts<{ dataDir?: string; stage?: string }>();
    if (stage !== undefined) {
      const [{ stageOutput }, { StackOutput }] = await Promise.all([
        import('../deploy/stage-outputs.js'),
        import('../shared/stack-outputs.js'),
      ]);
      const tableName = await stageOutput(stage, StackOutput.tokenTable);
      io.err(`Stage ${stage}: token table ${tableName}.`);
      return tokenStoreFromEnvironment({ ...env, [EnvVar.tokenTable]: tableName });
    }
    return tokenStoreFromEnvironment(dataDir === undefined ? env : { ...env, [EnvVar.dataDir]: dataDir });
  };

  program
    .command('create')
    .description('mint a token for a principal; it is printed once and never stored')
    .requiredOption(
      '--principal <name>',
      'who the token stands for (a user or a service principal)',
      principalName,
    )
    .option('--scopes <list>', `comma-separated, from: ${SCOPES.join(', ')}`, scopeList, [...DEFAULT_SCOPES])
    .option('--expires-in <duration>', 'lifetime, e.g. 12h, 30d (default: no expiry)', lifetime)
    .option('--namespace <ns>', 'bind the principal to this retrieval namespace (tenant)', namespaceName)
    .option('--comment <text>', 'a note shown by list')
    .action(
      async (options: {
        principal: string;
        scopes: Scope[];
        expiresIn?: number;
        namespace?: string;
        comment?: string;
      }) => {
        const { token, record } = await issueToken(await storeOf(), clock, {
          principal: options.principal,
          scopes: options.scopes,
          ...(options.expiresIn !== undefined && { lifetimeMs: options.expiresIn }),
          ...(options.namespace !== undefined && { namespace: options.namespace }),
          ...(options.comment !== undefined && { comment: options.comment }),
        });
        io.err(
          `Created token ${record.tokenId} for '${record.principal}' (scopes ${record.scopes.join(',')}` +
            `${record.namespace ? `, namespace ${record.namespace}` : ''}, expires ${iso(record.expiresAt)}).` +
            ' It is shown once, below; store it now.',
        );
        io.out(token);
      },
    );

  program
    .command('list')
    .description('show every token (never the token itself or its hash)')
    .option('--json', 'one JSON array instead of a table')
    .action(async (options: { json?: boolean }) => {
      const now = clock.now();
      const views = (await (await storeOf()).list()).map((record) => publicView(record, now));
      if (options.json) {
        io.out(JSON.stringify(views, null, 2));
        return;
      }
      if (views.length === 0) {
        io.err('No tokens.');
        return;
      }
      const header = ['TOKEN ID', 'PRINCIPAL', 'SCOPES', 'NAMESPACE', 'STATUS', 'EXPIRES', 'COMMENT'];
      const rows = views.map((v) => [
        v.token_id,
        v.principal,
        v.scopes.join(','),
        v.namespace ?? '-',
        v.status,
        v.expires_at ?? 'never',
        v.comment ?? '',
      ]);
      for (const line of table([header, ...rows])) io.out(line);
    });

  program
    .command('revoke')
    .description('revoke a token by its id (as shown by list); it stops working within the cache time')
    .argument('<tokenId>', 'the token id')
    .action(async (tokenId: string) => {
      if (await (await storeOf()).revoke(tokenId)) {
        io.err(`Revoked token ${tokenId}.`);
        return;
      }
      io.err(`tokens: no token with id '${tokenId}'.`);
      exitCode = 1;
    });

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.err(`tokens failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runTokensCommand(process.argv, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
