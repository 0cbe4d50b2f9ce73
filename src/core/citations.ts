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

/** Generators cite at most this many passages; a longer bracketed number is not a citation. */
const MAX_MARKER_DIGITS = 3;

/**
 * Renumbers citation markers of a streamed text as it arrives: passages are numbered in the order
 * the text first cites them, so `[n]` is `sources[n - 1]` of the final event. A marker split
 * across deltas (`[1` then `2]`) is held back until it is complete. Markers outside
 * `1..passageCount` are left as they are, as `renumberCitations` leaves unknown ones.
 */
export class StreamingCitations {
  private readonly position = new Map<number, number>();
  private held = '';

  constructor(private readonly passageCount: number) {}

  /** Passage numbers in the order they were first cited. */
  get order(): number[] {
    return [...this.position.keys()];
  }

  /** Renumbers what can be renumbered now; a trailing partial marker waits for the next push. */
  push(text: string): string {
    const combined = this.held + text;
    const partial = new RegExp(`\\[\\d{0,${MAX_MARKER_DIGITS}}$`).exec(combined);
    const ready = partial ? combined.slice(0, partial.index) : combined;
    this.held = partial ? combined.slice(partial.index) : '';
    return this.renumber(ready);
  }

  /** Whatever is still held back, once the text is complete. */
  flush(): string {
    const rest = this.renumber(this.held);
    this.held = '';
    return rest;
  }

  private renumber(text: string): string {
    return text.replace(/\[(\d+)\]/g, (marker, digits: string) => {
      const passage = Number(digits);
      if (passage < 1 || passage > this.passageCount) return marker;
      let to = this.position.get(passage);
      if (to === undefined) {
        to = this.position.size + 1;
        this.position.set(passage, to);
      }
      return `[${to}]`;
    });
  }
}
