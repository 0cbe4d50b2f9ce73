import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible model server (as Ollama, llama.cpp's server, vLLM or LM Studio expose one)
 * on 127.0.0.1: `POST /v1/chat/completions` (plain and streamed as SSE) and `POST /v1/embeddings`.
 * It serves only the models it was given; an unknown model is a 404 with OpenAI's error body, and
 * `overloaded` makes every call a 429. Every request body is recorded.
 */

export interface ChatRequestBody {
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly stream?: boolean;
  readonly max_tokens?: number;
  readonly temperature?: number;
}

export interface FakeOpenAIServerOptions {
  readonly chatModels: readonly string[];
  readonly embeddingModels: readonly string[];
  /** The assistant's reply to a chat request. */
  readonly answer: (body: ChatRequestBody) => string;
  /** Length of the embedding vectors. @default 8 */
  readonly dimensions?: number;
}

export interface FakeOpenAIServer {
  /** Base URL of the API, ending in /v1. */
  readonly baseUrl: string;
  readonly requests: {
    readonly path: string;
    readonly body: Record<string, unknown>;
    readonly authorization?: string;
  }[];
  overloaded: boolean;
  close(): Promise<void>;
}

/** A deterministic vector per text: letter counts folded into `dimensions` buckets. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const char of text.toLowerCase()) {
    const code = char.charCodeAt(0);
    if (code >= 97 && code <= 122) vector[code % dimensions] = (vector[code % dimensions] as number) + 1;
  }
  return vector;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions): Promise<FakeOpenAIServer> {
  const dimensions = options.dimensions ?? 8;
  const fake = {
    requests: [] as FakeOpenAIServer['requests'][number][],
    overloaded: false,
  };
  const unknownModel = (response: ServerResponse, model: unknown) =>
    send(response, 404, {
      error: {
        message: `model '${String(model)}' not found`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      },
    });

  const server = createServer((request, response) => {
    void (async () => {
      const body = await readJson(request);
      fake.requests.push({
        path: request.url ?? '',
        body,
        ...(request.headers.authorization && { authorization: request.headers.authorization }),
      });
      if (fake.overloaded) {
        send(response, 429, { error: { message: 'server busy', type: 'rate_limit_error' } });
        return;
      }
      if (request.url === '/v1/embeddings') {
        if (!options.embeddingModels.includes(String(body.model))) return unknownModel(response, body.model);
        const input = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
        send(response, 200, {
          object: 'list',
          model: body.model,
          data: input.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: fakeEmbedding(text, dimensions),
          })),
          usage: { prompt_tokens: input.reduce((sum, text) => sum + words(text), 0), total_tokens: 0 },
        });
        return;
      }
      if (request.url === '/v1/chat/completions') {
        if (!options.chatModels.includes(String(body.model))) return unknownModel(response, body.model);
        const chat = body as unknown as ChatRequestBody;
        const text = options.answer(chat);
        const usage = {
          prompt_tokens: chat.messages.reduce((sum, m) => sum + words(m.content), 0),
          completion_tokens: words(text),
          total_tokens: 0,
        };
        const base = { id: 'chatcmpl-fake', created: 0, model: chat.model };
        if (!chat.stream) {
          send(response, 200, {
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
            usage,
          });
          return;
        }
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
        const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
          event({
            ...base,
            object: 'chat.completion.chunk',
            choices: [{ index: 0, delta, finish_reason: finish }],
          });
        chunk({ role: 'assistant', content: '' });
        // A few characters at a time, so a citation marker may be split across deltas.
        for (let at = 0; at < text.length; at += 7) chunk({ content: text.slice(at, at + 7) });
        chunk({}, 'stop');
        event({ ...base, object: 'chat.completion.chunk', choices: [], usage });
        response.end('data: [DONE]\n\n');
        return;
      }
      send(response, 404, { error: { message: `no route ${request.url}`, type: 'invalid_request_error' } });
    })().catch((error: unknown) => send(response, 500, { error: { message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  });
}
