import {
  createServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStreamCodec } from '@smithy/eventstream-codec';

export type BedrockOperation = 'InvokeModel' | 'Converse' | 'ConverseStream' | 'ApplyGuardrail';

/**
 * The pipeline stage a request serves, as the fake tells them apart (named as the trace's stage
 * timings): a Converse call that rewrites a follow-up is `condense`, one that answers is
 * `generate`; ApplyGuardrail is `guardrail_input` or `guardrail_output` by its source.
 */
export type BedrockStage = 'embed' | 'condense' | 'generate' | 'guardrail_input' | 'guardrail_output';

/** A fault that hits only the requests of one stage. */
export interface StageFault {
  /**
   * Added before the answer. Not to ConverseStream, whose timing is `firstTokenDelayMs` and
   * `tokenDelayMs`: a streamed answer's latency is when its tokens come.
   */
  readonly latencyMs?: number;
  /** Answer the next N requests of the stage with 429 ThrottlingException. */
  readonly throttle?: number;
  /** Answer the next N requests of the stage with 500 InternalServerException. */
  readonly serverErrors?: number;
  /** Hold the stage's requests unanswered until `release(stage)`, or until the client gives up. */
  readonly hold?: boolean;
}

/** How the fake's answer to a request ended. */
export type RequestEnd = 'answered' | 'abandoned';

/** One request the fake received, so tests can assert what the adapters send. */
export interface RecordedBedrockRequest {
  readonly operation: BedrockOperation;
  readonly stage: BedrockStage;
  /** Model id or guardrail id from the path, decoded. */
  readonly target: string;
  readonly guardrailVersion?: string;
  readonly body: Record<string, unknown>;
  readonly receivedAt: number;
  /** When the fake finished sending its answer (set once it has). */
  finishedAt?: number;
  /** HTTP status the fake answered with. */
  status?: number;
  /** Settles when the answer was sent in full, or the client reset the stream before that. */
  readonly ended: Promise<RequestEnd>;
}

export interface FakeBedrockFaults {
  /** Added before every answer. */
  readonly latencyMs: number;
  /** Answer the next N requests with 429 ThrottlingException. */
  readonly throttle: number;
  /** Answer the next N requests with 500 InternalServerException. */
  readonly serverErrors: number;
  /** Answer the next N requests with 403 AccessDeniedException, as for a model the role may not call. */
  readonly accessDenied?: number;
  /** Limit throttling and server errors to these operations. @default all */
  readonly faultOperations?: readonly BedrockOperation[];
  /** What ApplyGuardrail (and Converse with a guardrailConfig) does with any text. */
  readonly guardrail: 'pass' | 'block' | 'anonymize';
  /** ConverseStream: delay before the first text delta. */
  readonly firstTokenDelayMs: number;
  /** ConverseStream: delay between later deltas. */
  readonly tokenDelayMs: number;
}

export interface FakeBedrockOptions extends Partial<FakeBedrockFaults> {
  /** The model's answer; default cites the first passage. */
  readonly answer?: (body: Record<string, unknown>) => string;
  /** Condense answers (a Converse call whose system prompt asks for a rewrite). */
  readonly condense?: (body: Record<string, unknown>) => string;
}

export interface FakeBedrock {
  /** `http://127.0.0.1:<port>`, an h2c endpoint for the Bedrock runtime client. */
  readonly endpoint: string;
  readonly requests: RecordedBedrockRequest[];
  setFault(faults: Partial<FakeBedrockFaults>): void;
  /** From now on the stage's requests meet this fault (it replaces the stage's previous one). */
  setStageFault(stage: BedrockStage, fault: StageFault): void;
  /** Clears every stage fault and answers the requests still held. */
  healStages(): void;
  /** Answers the stage's held requests and stops holding new ones. */
  release(stage: BedrockStage): void;
  /** How many requests of the stage met its fault so far (throttled, failed or held). */
  faulted(stage: BedrockStage): number;
  /** The next request of the stage to arrive: ask before causing it. */
  arrival(stage: BedrockStage): Promise<RecordedBedrockRequest>;
  close(): Promise<void>;
}

/** What the fake guardrail answers when it blocks, as a configured Bedrock guardrail would. */
export const FAKE_BLOCKED_MESSAGE = 'Sorry, the model cannot answer this question.';
/** Texts containing this word are always blocked by the fake guardrail. */
export const FAKE_DENIED_WORD = 'forbidden';

const DEFAULT_FAULTS: FakeBedrockFaults = {
  latencyMs: 0,
  throttle: 0,
  serverErrors: 0,
  guardrail: 'pass',
  firstTokenDelayMs: 0,
  tokenDelayMs: 0,
};

const utf8 = new TextEncoder();
const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => utf8.encode(text),
);

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** A deterministic unit vector from hashed words, so similar texts land near each other. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of words(text)) {
    let hash = 2166136261;
    for (const char of word) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
    vector[Math.abs(hash) % dimensions]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

function defaultAnswer(): string {
  return 'The indexed documents explain this in the first passage [1]. See it for the details.';
}

function textsOf(body: Record<string, unknown>): string {
  const content = (body.content as { text?: { text?: string } }[] | undefined) ?? [];
  return content.map((block) => block.text?.text ?? '').join('');
}

function messagesText(body: Record<string, unknown>): string {
  const messages = (body.messages as { content?: { text?: string }[] }[] | undefined) ?? [];
  return messages
    .flatMap((m) => m.content ?? [])
    .map((c) => c.text ?? '')
    .join('\n');
}

function systemText(body: Record<string, unknown>): string {
  return ((body.system as { text?: string }[] | undefined) ?? []).map((s) => s.text ?? '').join('');
}

/** Which stage a request serves; the condense prompt is the one that asks for a standalone question. */
function stageOf(operation: BedrockOperation, body: Record<string, unknown>): BedrockStage {
  switch (operation) {
    case 'InvokeModel':
      return 'embed';
    case 'ApplyGuardrail':
      return body.source === 'INPUT' ? 'guardrail_input' : 'guardrail_output';
    default:
      return /standalone question/i.test(systemText(body)) ? 'condense' : 'generate';
  }
}

/**
 * A fake Bedrock runtime over h2c, speaking the real wire format: InvokeModel (Titan v2 and Cohere
 * embeddings), Converse, ConverseStream (AWS event stream) and ApplyGuardrail, with switches for
 * latency, throttling, server errors and guardrail interventions. Benchmarks reuse it.
 */
export async function startFakeBedrock(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  let faults: FakeBedrockFaults = { ...DEFAULT_FAULTS, ...options };
  const requests: RecordedBedrockRequest[] = [];
  const stageFaults = new Map<BedrockStage, StageFault>();
  const faultCounts = new Map<BedrockStage, number>();
  const held = new Map<BedrockStage, (() => void)[]>();
  const waiting = new Map<BedrockStage, ((request: RecordedBedrockRequest) => void)[]>();
  const countFault = (stage: BedrockStage) => faultCounts.set(stage, (faultCounts.get(stage) ?? 0) + 1);
  const release = (stage: BedrockStage) => {
    const fault = stageFaults.get(stage);
    if (fault?.hold) stageFaults.set(stage, { ...fault, hold: false });
    for (const answer of held.get(stage)?.splice(0) ?? []) answer();
  };

  /** The stage's own fault, if any: an error to answer with, after its latency or hold. */
  const stageFault = async (
    record: RecordedBedrockRequest,
    res: Http2ServerResponse,
  ): Promise<[number, string] | undefined> => {
    const fault = stageFaults.get(record.stage);
    if (fault === undefined) return undefined;
    if (fault.latencyMs && record.operation !== 'ConverseStream') await sleep(fault.latencyMs);
    if (fault.hold) {
      countFault(record.stage);
      await new Promise<void>((answer) => {
        const queue = held.get(record.stage) ?? [];
        held.set(record.stage, queue);
        queue.push(answer);
        res.stream.once('close', answer);
      });
    }
    const current = stageFaults.get(record.stage) ?? {};
    if ((current.throttle ?? 0) > 0) {
      stageFaults.set(record.stage, { ...current, throttle: (current.throttle ?? 0) - 1 });
      countFault(record.stage);
      return [429, 'ThrottlingException'];
    }
    if ((current.serverErrors ?? 0) > 0) {
      stageFaults.set(record.stage, { ...current, serverErrors: (current.serverErrors ?? 0) - 1 });
      countFault(record.stage);
      return [500, 'InternalServerException'];
    }
    return undefined;
  };
  const answerOf = options.answer ?? defaultAnswer;

  const guardrailVerdict = (text: string): 'pass' | 'block' | 'anonymize' => {
    if (words(text).includes(FAKE_DENIED_WORD)) return 'block';
    if (faults.guardrail === 'anonymize' && !/@/.test(text)) return 'pass';
    return faults.guardrail;
  };

  const send = (
    res: Http2ServerResponse,
    record: RecordedBedrockRequest,
    status: number,
    payload: unknown,
  ) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload), () => {
      record.finishedAt = performance.now();
    });
  };

  const sendError = (
    res: Http2ServerResponse,
    record: RecordedBedrockRequest,
    status: number,
    type: string,
  ) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ message: `${type} from the fake Bedrock` }), () => {
      record.finishedAt = performance.now();
    });
  };

  const injectedFault = (operation: BedrockOperation): [number, string] | undefined => {
    const applies = !faults.faultOperations || faults.faultOperations.includes(operation);
    if (!applies) return undefined;
    if (faults.throttle > 0) {
      faults = { ...faults, throttle: faults.throttle - 1 };
      return [429, 'ThrottlingException'];
    }
    if (faults.serverErrors > 0) {
      faults = { ...faults, serverErrors: faults.serverErrors - 1 };
      return [500, 'InternalServerException'];
    }
    if ((faults.accessDenied ?? 0) > 0) {
      faults = { ...faults, accessDenied: (faults.accessDenied ?? 0) - 1 };
      return [403, 'AccessDeniedException'];
    }
    return undefined;
  };

  const invokeModel = (modelId: string, body: Record<string, unknown>) => {
    if (modelId.includes('titan-embed')) {
      const text = String(body.inputText ?? '');
      return {
        embedding: fakeEmbedding(text, Number(body.dimensions ?? 1024)),
        inputTextTokenCount: words(text).length,
      };
    }
    if (modelId.includes('cohere.embed')) {
      const texts = (body.texts as string[] | undefined) ?? [];
      const dimensions = Number(body.output_dimension ?? 1024);
      const embeddings = texts.map((text) => fakeEmbedding(text, dimensions));
      return {
        id: 'fake',
        response_type: body.embedding_types ? 'embeddings_by_type' : 'embeddings_floats',
        embeddings: body.embedding_types ? { float: embeddings } : embeddings,
        texts,
      };
    }
    return undefined;
  };

  /** The answer text, or the guardrail's message when a guardrail is attached and intervenes. */
  const converseAnswer = (body: Record<string, unknown>) => {
    const system = systemText(body);
    const condensing = /standalone question/i.test(system);
    const text = condensing
      ? (options.condense?.(body) ?? `standalone: ${messagesText(body).split('Follow-up question: ').at(-1)}`)
      : answerOf(body);
    const guarded = body.guardrailConfig !== undefined;
    const inputVerdict = guarded ? guardrailVerdict(messagesText(body)) : 'pass';
    const outputVerdict = guarded && inputVerdict === 'pass' ? guardrailVerdict(text) : 'pass';
    const intervened = inputVerdict === 'block' || outputVerdict === 'block';
    const assessment = {
      wordPolicy: { customWords: [{ match: FAKE_DENIED_WORD, action: 'BLOCKED', detected: true }] },
    };
    return {
      text: intervened ? FAKE_BLOCKED_MESSAGE : text,
      stopReason: intervened ? 'guardrail_intervened' : 'end_turn',
      inputTokens: words(system + messagesText(body)).length,
      trace: intervened
        ? {
            guardrail:
              inputVerdict === 'block'
                ? { inputAssessment: { fake: assessment } }
                : { outputAssessments: { fake: [assessment] } },
          }
        : undefined,
    };
  };

  const event = (type: string, payload: unknown): Uint8Array =>
    codec.encode({
      headers: {
        ':event-type': { type: 'string', value: type },
        ':message-type': { type: 'string', value: 'event' },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: utf8.encode(JSON.stringify(payload)),
    });

  const converseStream = async (res: Http2ServerResponse, record: RecordedBedrockRequest) => {
    const answer = converseAnswer(record.body);
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    res.write(event('messageStart', { role: 'assistant' }));
    const tokens = answer.text.match(/\S+\s*/g) ?? [];
    for (const [i, token] of tokens.entries()) {
      await sleep(i === 0 ? faults.firstTokenDelayMs : faults.tokenDelayMs);
      // The client reset the stream (the adapter aborted): stop generating, as Bedrock does.
      if (res.stream.destroyed || res.stream.closed) return;
      res.write(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: token } }));
    }
    res.write(event('contentBlockStop', { contentBlockIndex: 0 }));
    res.write(event('messageStop', { stopReason: answer.stopReason }));
    res.write(
      event('metadata', {
        usage: {
          inputTokens: answer.inputTokens,
          outputTokens: tokens.length,
          totalTokens: answer.inputTokens + tokens.length,
        },
        metrics: { latencyMs: 1 },
        ...(answer.trace && { trace: answer.trace }),
      }),
    );
    res.end(() => {
      record.finishedAt = performance.now();
    });
  };

  const applyGuardrail = (body: Record<string, unknown>) => {
    const text = textsOf(body);
    const verdict = guardrailVerdict(text);
    if (verdict === 'pass') return { action: 'NONE', outputs: [], assessments: [{}], usage: {} };
    if (verdict === 'anonymize') {
      return {
        action: 'GUARDRAIL_INTERVENED',
        outputs: [{ text: text.replace(/\S+@\S+/g, '{EMAIL}') }],
        assessments: [
          {
            sensitiveInformationPolicy: {
              piiEntities: [{ match: 'x@y', type: 'EMAIL', action: 'ANONYMIZED', detected: true }],
            },
          },
        ],
        usage: {},
      };
    }
    return {
      action: 'GUARDRAIL_INTERVENED',
      outputs: [{ text: FAKE_BLOCKED_MESSAGE }],
      assessments: [
        { wordPolicy: { customWords: [{ match: FAKE_DENIED_WORD, action: 'BLOCKED', detected: true }] } },
      ],
      usage: {},
    };
  };

  const route = (
    path: string,
  ): { operation: BedrockOperation; target: string; version?: string } | undefined => {
    const model = /^\/model\/([^/]+)\/(invoke|converse|converse-stream)$/.exec(path);
    if (model) {
      const operation = {
        invoke: 'InvokeModel',
        converse: 'Converse',
        'converse-stream': 'ConverseStream',
      } as const;
      return {
        operation: operation[model[2] as keyof typeof operation],
        target: decodeURIComponent(model[1]!),
      };
    }
    const guardrail = /^\/guardrail\/([^/]+)\/version\/([^/]+)\/apply$/.exec(path);
    if (guardrail) {
      return {
        operation: 'ApplyGuardrail',
        target: decodeURIComponent(guardrail[1]!),
        version: decodeURIComponent(guardrail[2]!),
      };
    }
    return undefined;
  };

  const handle = async (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const matched = route(new URL(req.url, 'http://fake').pathname);
    if (!matched) {
      res.writeHead(404, { 'x-amzn-errortype': 'UnknownOperationException' });
      res.end('{}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const record: RecordedBedrockRequest = {
      operation: matched.operation,
      stage: stageOf(matched.operation, body),
      target: matched.target,
      ...(matched.version !== undefined && { guardrailVersion: matched.version }),
      body,
      receivedAt: performance.now(),
      ended: new Promise<RequestEnd>((settle) =>
        res.stream.once('close', () => settle(record.finishedAt === undefined ? 'abandoned' : 'answered')),
      ),
    };
    requests.push(record);
    for (const wake of waiting.get(record.stage)?.splice(0) ?? []) wake(record);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const ownFault = await stageFault(record, res);
    if (res.stream.destroyed || res.stream.closed) return;
    if (ownFault) return sendError(res, record, ...ownFault);
    const fault = injectedFault(matched.operation);
    if (fault) return sendError(res, record, ...fault);
    switch (matched.operation) {
      case 'InvokeModel': {
        const result = invokeModel(matched.target, body);
        return result ? send(res, record, 200, result) : sendError(res, record, 400, 'ValidationException');
      }
      case 'Converse': {
        const answer = converseAnswer(body);
        return send(res, record, 200, {
          output: { message: { role: 'assistant', content: [{ text: answer.text }] } },
          stopReason: answer.stopReason,
          usage: {
            inputTokens: answer.inputTokens,
            outputTokens: words(answer.text).length,
            totalTokens: answer.inputTokens + words(answer.text).length,
          },
          metrics: { latencyMs: 1 },
          ...(answer.trace && { trace: answer.trace }),
        });
      }
      case 'ConverseStream':
        return converseStream(res, record);
      case 'ApplyGuardrail':
        return send(res, record, 200, applyGuardrail(body));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'x-amzn-errortype': 'InternalServerException' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setFault: (next) => {
      faults = { ...faults, ...next };
    },
    setStageFault: (stage, fault) => {
      stageFaults.set(stage, fault);
    },
    healStages: () => {
      for (const stage of [...stageFaults.keys()]) release(stage);
      stageFaults.clear();
    },
    release,
    faulted: (stage) => faultCounts.get(stage) ?? 0,
    arrival: (stage) =>
      new Promise((resolve) => {
        const queue = waiting.get(stage) ?? [];
        waiting.set(stage, queue);
        queue.push(resolve);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
