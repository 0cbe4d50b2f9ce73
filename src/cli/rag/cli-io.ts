/** What the CLI touches of its process, injectable for tests. */
export interface CliIo {
  /** Writes as is (no newline added): streamed answers arrive in pieces. */
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Where a relative `RAG_DATA_DIR` (and `.rag/`) is found. */
  readonly cwd: string;
}

export const printLine = (stream: CliIo['stdout'], line = ''): void => {
  stream.write(`${line}\n`);
};
