import { createAskRagHandler } from './app.js';
import { askRagServicesFromEnvironment } from './composition.js';

// Built at init: on Lambda the init phase runs with a CPU boost (and the secret is read there).
export const handler = createAskRagHandler(await askRagServicesFromEnvironment(process.env));
