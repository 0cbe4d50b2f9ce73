/**
 * Generators cite passages by their retrieval rank (`[3]` = third passage), but a prediction lists
 * only the cited sources. Renumbers the markers so that `[n]` in the text is `sources[n - 1]`.
 */
export function renumberCitations(
  text: string,
  citations: readonly number[],
): { text: string; order: number[] } {
  const order = [...new Set(citations)];
  const position = new Map(order.map((passage, i) => [passage, i + 1]));
  const renumbered = text.replace(/\[(\d+)\]/g, (marker, n: string) => {
    const to = position.get(Number(n));
    return to === undefined ? marker : `[${to}]`;
  });
  return { text: renumbered, order };
}
