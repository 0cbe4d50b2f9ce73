import * as z from 'zod/mini';
import { InvalidParameterError } from '../errors.js';
import { Defaults, Limits } from '../../shared/limits.js';
import type { MetadataFilter } from '../ports/types.js';

/** Request `params`, as the wire names them. Unknown keys are rejected so typos do not pass silently. */
const paramsSchema = z.strictObject({
  top_k: z.optional(z.int().check(z.minimum(1), z.maximum(Limits.maxTopK))),
  temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  max_tokens: z.optional(z.int().check(z.minimum(1), z.maximum(Limits.maxTokens))),
  filter: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  return_trace: z.optional(z.boolean()),
});

export interface RequestParams {
  readonly topK: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly filter?: MetadataFilter;
  readonly returnTrace: boolean;
}

export const defaultParams: RequestParams = { topK: Defaults.topK, returnTrace: false };

export function parseParams(raw: unknown): RequestParams {
  if (raw === undefined || raw === null) return defaultParams;
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidParameterError(describeIssue('params', parsed.error.issues[0]));
  const p = parsed.data;
  return {
    topK: p.top_k ?? Defaults.topK,
    returnTrace: p.return_trace ?? false,
    ...(p.temperature !== undefined && { temperature: p.temperature }),
    ...(p.max_tokens !== undefined && { maxTokens: p.max_tokens }),
    ...(p.filter !== undefined && { filter: p.filter }),
  };
}

/** Turns a zod issue into a message that names the offending key, e.g. `params.top_k must be at most 50`. */
export function describeIssue(root: string, issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return `${root} is invalid`;
  const path = [root, ...issue.path.map(String)].join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${root} has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; allowed: top_k, temperature, max_tokens, filter, return_trace`;
    case 'too_big':
      return `${path} must be at most ${String(issue.maximum)}`;
    case 'too_small':
      return `${path} must be at least ${String(issue.minimum)}`;
    case 'invalid_type':
      return `${path} must be ${issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`}`;
    default:
      return `${path} is invalid`;
  }
}
