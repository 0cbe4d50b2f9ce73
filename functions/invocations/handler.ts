import { createServingHandler } from './app.js';
import { servingServicesFromEnvironment } from '../../src/composition/serving-services.js';

// Built at init: on Lambda the init phase runs with a CPU boost and is prepaid under provisioned concurrency.
export const handler = createServingHandler(await servingServicesFromEnvironment(process.env));
