/**
 * JSON Merge Patch (RFC 7386): how stage settings from a file or CDK context apply over the
 * built-in defaults. Objects merge key by key, `null` removes a key, anything else (arrays
 * included) replaces the value. Generic over the config's shape, so a section added to the stage
 * config later can be overridden the same way with no code of its own.
 */

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** True when `patch` sets (or removes) the value at `path` or one of its parents. */
export function patchTouches(patch: unknown, path: readonly PropertyKey[]): boolean {
  let node: unknown = patch;
  for (const key of path) {
    if (!isJsonObject(node) || !(String(key) in node)) return false;
    node = node[String(key)];
    if (!isJsonObject(node)) return true;
  }
  return true;
}
