import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { OpenAICompatibleModel } from '../../config/backends-config.js';
import type {
  CondenseOptions,
  CondenseResult,
  GenerateChunk,
  GenerateOptions,
  GenerateResult,
  Generator,
} from '../../core/ports/generator.js';
import type { Turn, Usage } from '../../core/ports/types.js';
import { EnvVar } from '../../shared/env.js';
import {
  CONDENSE_SYSTEM_PROMPT,
  answerSystemPrompt,
  citedPassages,
  condenseUserMessage,
} from '../rag-prompts.js';
import { modelServerClient } from './model-server-client.js';
import { modelServerFailure } from './model-server-errors.js';

export interface OpenAICompatibleGeneratorOptions extends OpenAICompatibleModel {
  /** `max_tokens` when the request sets none. @default 1024 */
  readonly defaultMaxTokens?: number;
  /** A client built elsewhere (tests); by default one for `baseUrl`. */
  readonly client?: OpenAI;
}

/** A condensed question is short; more would be an answer. */
const CONDENSE_MAX_TOKENS = 200;

const usageOf = (
  usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined,
): Usage => ({
  inputTokens: usage?.prompt_tokens ?? 0,
  outputTokens: usage?.completion_tokens ?? 0,
});

/** Earlier turns as chat messages, oldest first; a turn without a stored response is left out. */
function historyMessages(history: readonly Turn[]): ChatCompletionMessageParam[] {
  return history
    .filter((turn) => turn.query.trim() !== '' && turn.response.trim() !== '')
    .flatMap((turn): ChatCompletionMessageParam[] => [
      { role: 'user', content: turn.query },
      { role: 'assistant', content: turn.response },
    ]);
}

/**
 * Answers with the chat completions API of an OpenAI-compatible server (Ollama, llama.cpp's server,
 * vLLM, LM Studio): the same instructions and numbered passages as Bedrock, earlier turns as
 * messages, citations parsed from the `[n]` markers, usage from the server when it reports one.
 * Follow-ups are condensed with the same model.
 */
export class OpenAICompatibleGenerator implements Generator {
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAICompatibleGeneratorOptions) {
    this.client = options.client ?? modelServerClient(options);
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    let completion;
    try {
      completion = await this.client.chat.completions.create(this.answerRequest(options), {
        signal: options.abortSignal,
      });
    } catch (error) {
      throw this.failure(error, options.abortSignal);
    }
    const text = completion.choices[0]?.message.content ?? '';
    return {
      text,
      citations: citedPassages(text, options.passages.length),
      usage: usageOf(completion.usage),
    };
  }

  async *stream(options: GenerateOptions): AsyncGenerator<GenerateChunk> {
    let text = '';
    let usage: Usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const stream = await this.client.chat.completions.create(
        { ...this.answerRequest(options), stream: true, stream_options: { include_usage: true } },
        { signal: options.abortSignal },
      );
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta.content;
        if (delta) {
          text += delta;
          yield { type: 'text', text: delta };
        }
        if (chunk.usage) usage = usageOf(chunk.usage);
      }
    } catch (error) {
      throw this.failure(error, options.abortSignal);
    }
    yield { type: 'finish', citations: citedPassages(text, options.passages.length), usage };
  }

  async condense(options: CondenseOptions): Promise<CondenseResult> {
    const { question, history, abortSignal } = options;
    if (history.length === 0) return { question, usage: { inputTokens: 0, outputTokens: 0 } };
    let completion;
    try {
      completion = await this.client.chat.completions.create(
        {
          model: this.options.model,
          messages: [
            { role: 'system', content: CONDENSE_SYSTEM_PROMPT },
            { role: 'user', content: condenseUserMessage(question, history) },
          ],
          max_tokens: CONDENSE_MAX_TOKENS,
          temperature: 0,
        },
        { signal: abortSignal },
      );
    } catch (error) {
      throw this.failure(error, abortSignal);
    }
    const rewritten = (completion.choices[0]?.message.content ?? '').trim();
    // An empty rewrite would retrieve nothing; the question as asked is the better fallback.
    return { question: rewritten === '' ? question : rewritten, usage: usageOf(completion.usage) };
  }

  private answerRequest(options: GenerateOptions) {
    const { question, passages, history, params } = options;
    return {
      model: this.options.model,
      messages: [
        { role: 'system' as const, content: answerSystemPrompt(passages) },
        ...historyMessages(history),
        { role: 'user' as const, content: question },
      ],
      max_tokens: params.maxTokens ?? this.options.defaultMaxTokens ?? 1024,
      ...(params.temperature !== undefined && { temperature: params.temperature }),
    };
  }

  private failure(error: unknown, abortSignal: AbortSignal | undefined): unknown {
    return modelServerFailure(error, { ...this.options, modelVariable: EnvVar.openaiModel }, abortSignal);
  }
}
