import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What GetFoundationModelAvailability answers for one foundation model. */
export interface ModelAvailability {
  readonly authorizationStatus: 'AUTHORIZED' | 'NOT_AUTHORIZED';
  readonly entitlementAvailability: 'AVAILABLE' | 'NOT_AVAILABLE';
  readonly regionAvailability: 'AVAILABLE' | 'NOT_AVAILABLE';
  readonly agreementStatus: 'AVAILABLE' | 'PENDING' | 'NOT_AVAILABLE' | 'ERROR';
}

export interface FakeBedrockControl {
  readonly endpoint: string;
  /** Sets how a foundation model (its id without a profile prefix) is available; unset ones are fully available. */
  setModel(modelId: string, availability: Partial<ModelAvailability>): void;
  /** Adds a guardrail (id and its published versions); GetGuardrail of anything else is ResourceNotFound. */
  addGuardrail(id: string, versions: readonly string[]): void;
  close(): Promise<void>;
}

const AVAILABLE: ModelAvailability = {
  authorizationStatus: 'AUTHORIZED',
  entitlementAvailability: 'AVAILABLE',
  regionAvailability: 'AVAILABLE',
  agreementStatus: 'AVAILABLE',
};

/**
 * A fake Bedrock control plane (REST-JSON over HTTP/1.1, as the `@aws-sdk/client-bedrock` client
 * talks) answering GetFoundationModelAvailability and GetGuardrail, which moto_server lacks.
 */
export async function startFakeBedrockControl(): Promise<FakeBedrockControl> {
  const models = new Map<string, ModelAvailability>();
  const guardrails = new Map<string, readonly string[]>();
  const answer = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(errorType && { 'x-amzn-errortype': errorType }),
    });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const model = /^\/foundation-model-availability\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && model) {
        const modelId = decodeURIComponent(model[1]!);
        const found = models.get(modelId) ?? AVAILABLE;
        return answer(res, 200, {
          modelId,
          agreementAvailability: { status: found.agreementStatus },
          authorizationStatus: found.authorizationStatus,
          entitlementAvailability: found.entitlementAvailability,
          regionAvailability: found.regionAvailability,
        });
      }
      const guardrail = /^\/guardrails\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && guardrail) {
        const id = decodeURIComponent(guardrail[1]!);
        const version = url.searchParams.get('guardrailVersion') ?? 'DRAFT';
        const versions = guardrails.get(id);
        if (!versions || (version !== 'DRAFT' && !versions.includes(version))) {
          return answer(
            res,
            404,
            { message: `Guardrail ${id} version ${version} not found` },
            'ResourceNotFoundException',
          );
        }
        return answer(res, 200, {
          name: id,
          guardrailId: id,
          guardrailArn: `arn:aws:bedrock:us-east-1:123456789012:guardrail/${id}`,
          version,
          status: 'READY',
          blockedInputMessaging: 'Blocked.',
          blockedOutputsMessaging: 'Blocked.',
          createdAt: '2026-11-01T00:00:00Z',
          updatedAt: '2026-11-01T00:00:00Z',
        });
      }
      return answer(
        res,
        404,
        { message: `no route ${req.method} ${url.pathname}` },
        'UnknownOperationException',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setModel: (modelId, availability) => void models.set(modelId, { ...AVAILABLE, ...availability }),
    addGuardrail: (id, versions) => void guardrails.set(id, versions),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
