import { lambdaServingServices } from '../../src/composition/lambda-services.js';
import { createServingHandler } from '../../src/routes/serving-handler.js';

// Built at init: on Lambda the init phase runs with a CPU boost and is prepaid under provisioned concurrency.
export const handler = createServingHandler(await lambdaServingServices(process.env));
