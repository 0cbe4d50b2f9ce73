import { BackendMisconfiguredError, BackendUnavailableError } from '../../core/errors.js';
import { errorName, isTransient } from '../aws/aws-errors.js';

/** Secrets Manager's refusals that no retry gets past, with the likely fix. */
const MISCONFIGURED: Readonly<Record<string, (secretId: string) => string>> = {
  ResourceNotFoundException: (secretId) =>
    `secret '${secretId}' does not exist: create it with ` +
    `aws secretsmanager create-secret --name ${secretId} --secret-string '<pinecone api key>'`,
  AccessDeniedException: (secretId) =>
    `reading secret '${secretId}' was denied: the function's role needs secretsmanager:GetSecretValue on it ` +
    '(and kms:Decrypt on its key, when it is encrypted with a customer managed key)',
  DecryptionFailure: (secretId) =>
    `secret '${secretId}' could not be decrypted: the function's role needs kms:Decrypt on the secret's KMS key`,
  InvalidRequestException: (secretId) =>
    `secret '${secretId}' cannot be read (it is scheduled for deletion, or has no current value): restore it or put a value`,
};

/**
 * The error to throw when the Pinecone key cannot be read: a missing secret, a denied read or an
 * empty one is a misconfiguration (500 naming the secret and the fix); throttling, 5xx and network
 * failures are an outage (503). The key's value never appears in a message.
 */
export function secretReadFailure(error: unknown, secretId: string): Error {
  const fix = MISCONFIGURED[errorName(error)];
  if (fix && !isTransient(error))
    return new BackendMisconfiguredError('Secrets Manager', fix(secretId), { cause: error });
  if (isTransient(error)) return new BackendUnavailableError('Secrets Manager', { cause: error });
  return new BackendMisconfiguredError(
    'Secrets Manager',
    `reading secret '${secretId}' failed (${errorName(error) || 'an error'}); the function's log has the details`,
    { cause: error },
  );
}

/** The secret exists but holds no usable key. */
export function emptySecret(secretId: string): BackendMisconfiguredError {
  return new BackendMisconfiguredError(
    'Secrets Manager',
    `secret '${secretId}' holds no Pinecone API key: store the key itself, or JSON with an 'apiKey' field`,
  );
}
