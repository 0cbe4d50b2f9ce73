/**
 * Fenced code in Markdown (CommonMark): the parser keeps a fenced block whole, and the
 * packer re-fences the pieces when a block is too long for one chunk.
 */

/** An opening (or closing) fence: three or more backticks or tildes, indented at most three spaces. */
export const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Whether `line` closes a fence opened with `marker`: only that character, at least as many. */
export function isClosingFence(line: string, marker: string): boolean {
  const trimmed = line.trim();
  const fenceChar = marker[0] as string;
  return trimmed.length >= marker.length && [...trimmed].every((char) => char === fenceChar);
}
