import {
  ConverseCommand,
  ConverseStreamCommand,
  type BedrockRuntimeClient,
  type ConverseRequest,
  type GuardrailTraceAssessment,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import type {
  CondenseOptions,
  CondenseResult,
  GenerateChunk,
  GenerateOptions,
  GenerateResult,
  Generator,
  ModelGuardrailResult,
} from '../../core/ports/generator.js';
import type { Usage } from '../../core/ports/types.js';
import { bedrockRuntimeClient } from './bedrock-client.js';
import { bedrockFailure } from './bedrock-errors.js';
import { interventionAssessments, summarizeAssessments } from './guardrail-assessments.js';
import {
  CONDENSE_SYSTEM_PROMPT,
  answerSystemPrompt,
  citedPassages,
  condenseUserMessage,
  historyMessages,
} from './prompts.js';

export interface ConverseGuardrailOptions {
  readonly guardrailId: string;
  readonly guardrailVersion: string;
  /**
   * ConverseStream only: `sync` holds each chunk until the guardrail has judged it, `async`
   * streams first and may intervene later. @default 'sync'
   */
  readonly streamProcessingMode?: 'sync' | 'async';
}

export interface BedrockGeneratorOptions {
  /** A foundation-model or inference-profile id that supports Converse. */
  readonly modelId: string;
  /** Model for rewriting follow-ups; a small fast one suits. @default modelId */
  readonly condenseModelId?: string;
  /** A guardrail attached to the answer's Converse call (`guardrailConfig`). @default none */
  readonly guardrail?: ConverseGuardrailOptions;
  /** `maxTokens` when the request sets none. @default 1024 */
  readonly defaultMaxTokens?: number;
  readonly client?: BedrockRuntimeClient;
}

/** Converse leaves a condensed question short; more would be an answer, not a question. */
const CONDENSE_MAX_TOKENS = 200;

const usageOf = (usage: { inputTokens?: number; outputTokens?: number } | undefined): Usage => ({
  inputTokens: usage?.inputTokens ?? 0,
  outputTokens: usage?.outputTokens ?? 0,
});

/**
 * Answers with Bedrock Converse (or ConverseStream): the passages numbered in the system prompt,
 * earlier turns as messages, inference parameters from the request, token usage from the model.
 * With a guardrail attached, `stopReason: guardrail_intervened` becomes the result's `guardrail`.
 */
export class BedrockGenerator implements Generator {
  private readonly client: BedrockRuntimeClient;

  constructor(private readonly options: BedrockGeneratorOptions) {
    this.client = options.client ?? bedrockRuntimeClient();
  }

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const { abortSignal } = options;
    let response;
    try {
      response = await this.client.send(
        new ConverseCommand({
          ...this.answerRequest(options),
          ...(this.options.guardrail && { guardrailConfig: this.guardrailConfig() }),
        }),
        { abortSignal },
      );
    } catch (error) {
      throw bedrockFailure(error, abortSignal, { model: this.options.modelId });
    }
    const text = (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
    const guardrail =
      response.stopReason === 'guardrail_intervened'
        ? guardrailOutcome(text, response.trace?.guardrail)
        : undefined;
    return {
      text,
      citations: guardrail ? [] : citedPassages(text, options.passages.length),
      usage: usageOf(response.usage),
      ...(guardrail && { guardrail }),
    };
  }

  async *stream(options: GenerateOptions): AsyncGenerator<GenerateChunk> {
    const { abortSignal } = options;
    let text = '';
    let stopReason: string | undefined;
    let usage: Usage = { inputTokens: 0, outputTokens: 0 };
    let trace: GuardrailTraceAssessment | undefined;
    try {
      const response = await this.client.send(
        new ConverseStreamCommand({
          ...this.answerRequest(options),
          ...(this.options.guardrail && {
            guardrailConfig: {
              ...this.guardrailConfig(),
              streamProcessingMode: this.options.guardrail.streamProcessingMode ?? 'sync',
            },
          }),
        }),
        { abortSignal },
      );
      for await (const event of response.stream ?? []) {
        const delta = event.contentBlockDelta?.delta?.text;
        if (delta) {
          text += delta;
          yield { type: 'text', text: delta };
        }
        if (event.messageStop) stopReason = event.messageStop.stopReason;
        if (event.metadata) {
          usage = usageOf(event.metadata.usage);
          trace = event.metadata.trace?.guardrail;
        }
        // Modeled stream exceptions normally throw from the iterator; a member is a failure too.
        const failure =
          event.internalServerException ??
          event.modelStreamErrorException ??
          event.throttlingException ??
          event.serviceUnavailableException ??
          event.validationException;
        if (failure)
          throw Object.assign(new Error(failure.message ?? 'stream failed'), { name: failure.name });
      }
    } catch (error) {
      throw bedrockFailure(error, abortSignal, { model: this.options.modelId });
    }
    const guardrail = stopReason === 'guardrail_intervened' ? guardrailOutcome(text, trace) : undefined;
    yield {
      type: 'finish',
      citations: guardrail ? [] : citedPassages(text, options.passages.length),
      usage,
      ...(guardrail && { guardrail }),
    };
  }

  async condense(options: CondenseOptions): Promise<CondenseResult> {
    const { question, history, abortSignal } = options;
    if (history.length === 0) return { question, usage: { inputTokens: 0, outputTokens: 0 } };
    let response;
    try {
      response = await this.client.send(
        new ConverseCommand({
          modelId: this.options.condenseModelId ?? this.options.modelId,
          system: [{ text: CONDENSE_SYSTEM_PROMPT }],
          messages: [{ role: 'user', content: [{ text: condenseUserMessage(question, history) }] }],
          inferenceConfig: { maxTokens: CONDENSE_MAX_TOKENS, temperature: 0 },
        }),
        { abortSignal },
      );
    } catch (error) {
      throw bedrockFailure(error, abortSignal, {
        model: this.options.condenseModelId ?? this.options.modelId,
      });
    }
    const rewritten = (response.output?.message?.content ?? [])
      .map((block) => block.text ?? '')
      .join('')
      .trim();
    // An empty rewrite would retrieve nothing; the question as asked is the better fallback.
    return { question: rewritten === '' ? question : rewritten, usage: usageOf(response.usage) };
  }

  private answerRequest(options: GenerateOptions): ConverseRequest {
    const { question, passages, history, params } = options;
    const messages: Message[] = [
      ...historyMessages(history),
      { role: 'user', content: [{ text: question }] },
    ];
    return {
      modelId: this.options.modelId,
      system: [{ text: answerSystemPrompt(passages) }],
      messages,
      inferenceConfig: {
        maxTokens: params.maxTokens ?? this.options.defaultMaxTokens ?? 1024,
        ...(params.temperature !== undefined && { temperature: params.temperature }),
      },
    };
  }

  private guardrailConfig() {
    const { guardrailId, guardrailVersion } = this.options.guardrail!;
    return { guardrailIdentifier: guardrailId, guardrailVersion, trace: 'enabled' as const };
  }
}

/**
 * A guardrail attached to Converse stopped the answer: the text is its message. The trace says
 * whether the question or the answer was judged (input findings win: the model never ran).
 */
function guardrailOutcome(text: string, trace: GuardrailTraceAssessment | undefined): ModelGuardrailResult {
  const input = summarizeAssessments(Object.values(trace?.inputAssessment ?? {}));
  const output = summarizeAssessments(Object.values(trace?.outputAssessments ?? {}).flat());
  const source = input.length > 0 ? 'INPUT' : 'OUTPUT';
  return {
    action: 'INTERVENED',
    output: text,
    assessments: interventionAssessments(source === 'INPUT' ? input : output),
    source,
  };
}
