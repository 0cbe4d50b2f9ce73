/**
 * A model answer that can only be right when retrieval worked: the fake Bedrock quotes a sentence
 * of the first corpus passage it finds in the prompt, and the benchmark checks the quote against
 * the sources the handler returned. A handler that retrieves nothing (no passages in the prompt)
 * gets an answer without a quote and fails the check before anything is timed.
 */

/** Seven sentences of a realistic answer (about 100 words) before the quote. */
const PREAMBLE_SENTENCES = [
  'The documentation covers this in the first passage, which describes the steps in order [1].',
  'Start the local server with npm start and keep the printed bearer token at hand for every call.',
  'The token is also saved in the data directory, so a second start reuses it without any change.',
  'Requests go to the invocations route with a JSON body in one of the supported input formats [2].',
  'Each record gets one prediction in the same order, with the sources that the answer cites.',
  'A follow-up question in the same session is condensed with the earlier turns before retrieval.',
  'Limits on body size, records and query length are enforced by the handler itself [3].',
];
const PREAMBLE = PREAMBLE_SENTENCES.join(' ');

/** Tokens of the answer's first sentence, as the fake ConverseStream sends them (one per word). */
export const FIRST_SENTENCE_TOKENS = (PREAMBLE_SENTENCES[0] ?? '').split(/\s+/).length;

export const NO_PASSAGE_ANSWER = 'No context passage was given, so there is nothing to quote.';

const QUOTE = /“([^”]+)”/;
const MIN_QUOTE_CHARS = 30;
const MAX_QUOTE_CHARS = 120;

/** The first line of a passage long enough to identify it, cut at a word boundary. */
export function quotableLine(passage: string): string | undefined {
  const line = passage
    .split('\n')
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.length >= MIN_QUOTE_CHARS && !/[“”]/.test(candidate));
  if (line === undefined) return undefined;
  if (line.length <= MAX_QUOTE_CHARS) return line;
  return line.slice(0, line.lastIndexOf(' ', MAX_QUOTE_CHARS));
}

/** Every text of a Converse request body: system prompt and messages. */
function promptText(body: Record<string, unknown>): string {
  const blocks = [
    ...((body.system as { text?: string }[] | undefined) ?? []),
    ...((body.messages as { content?: { text?: string }[] }[] | undefined) ?? []).flatMap(
      (message) => message.content ?? [],
    ),
  ];
  return blocks.map((block) => block.text ?? '').join('\n');
}

/**
 * The fake model's answer: the preamble, then a quote of the corpus passage that appears first in
 * the prompt (the first numbered passage), citing it as [1].
 */
export function groundedAnswer(passages: () => readonly string[]): (body: Record<string, unknown>) => string {
  return (body) => {
    const prompt = promptText(body);
    let first: { at: number; line: string } | undefined;
    for (const passage of passages()) {
      const line = quotableLine(passage);
      const at = line === undefined ? -1 : prompt.indexOf(line);
      if (line !== undefined && at >= 0 && (first === undefined || at < first.at)) first = { at, line };
    }
    if (first === undefined) return `${PREAMBLE} ${NO_PASSAGE_ANSWER}`;
    return `${PREAMBLE} The documentation says: “${first.line}” [1].`;
  };
}

interface WirePrediction {
  readonly response?: unknown;
  readonly sources?: readonly { readonly text?: unknown }[];
}

/**
 * Why a handler's answer does not come from retrieved text, or undefined when it does: the
 * response must quote a line that is in one of the returned sources.
 */
export function ungroundedReason(prediction: WirePrediction | undefined): string | undefined {
  if (prediction === undefined) return 'no prediction';
  const sources = (prediction.sources ?? []).map((source) => String(source.text ?? ''));
  if (sources.every((text) => text === '')) return 'no source text (retrieval returned no passages)';
  const quote = QUOTE.exec(String(prediction.response ?? ''))?.[1];
  if (quote === undefined) return `the answer quotes no passage: ${String(prediction.response).slice(-120)}`;
  if (!sources.some((text) => text.includes(quote))) return `the quoted line is in no source: “${quote}”`;
  return undefined;
}
