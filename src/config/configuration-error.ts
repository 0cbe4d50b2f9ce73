/** Thrown at start when the environment is wrong; the message names the variable. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** A configuration error about one variable, in the form every start-up failure uses. */
export function invalidVariable(
  variable: string,
  value: string | undefined,
  problem: string,
): ConfigurationError {
  return new ConfigurationError(`Invalid ${variable}=${JSON.stringify(value ?? '')}: ${problem}.`);
}
