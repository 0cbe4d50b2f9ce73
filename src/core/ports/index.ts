export type * from './types.js';
export type * from './embedder.js';
export type * from './vector-index.js';
export type * from './generator.js';
export type * from './guardrail.js';
export type * from './session-store.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
