import type { RagClient } from '../../client/index.js';
import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';

/** What each command gets: the process's IO, the client the global options configure, and a way to end with a code. */
export interface CommandContext {
  readonly io: CliIo;
  readonly client: () => Promise<RagClient>;
  /** Ends the run with this code once the command returns (a failure the command already reported). */
  readonly exitWith: (code: ExitCode) => void;
}
