import { jsonResponse, type HttpResponse } from '../http/types.js';

/** `GET /ping` and `GET /health`: liveness without auth, as load balancers and Databricks clients expect. */
export const healthRoute = async (): Promise<HttpResponse> => jsonResponse(200, { status: 'ok' });

/** `GET /version`: what is deployed, for validation steps of a pipeline. */
export function versionRoute(info: { version: string; endpointName: string }) {
  return async (): Promise<HttpResponse> =>
    jsonResponse(200, {
      version: info.version,
      endpoint: info.endpointName,
      api: 'databricks-model-serving',
    });
}
