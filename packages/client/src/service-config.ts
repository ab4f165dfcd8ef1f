import { AuthServiceDefinition } from './gen/auth/v1/auth.js';

/** Idempotency levels (descriptor.proto) under which a call may be sent again. */
const RETRIABLE_LEVELS = new Set(['NO_SIDE_EFFECTS', 'IDEMPOTENT']);

/** The RPCs the proto marks idempotent (`option idempotency_level`): only they are retried. */
export function idempotentMethods(): string[] {
  return Object.values(AuthServiceDefinition.methods)
    .filter((method) => RETRIABLE_LEVELS.has((method.options as { idempotencyLevel?: string }).idempotencyLevel ?? ''))
    .map((method) => method.name);
}

/**
 * The channel's gRPC service config: round-robin over every address the target resolves to
 * (all replicas behind a headless Service), and retries of idempotent calls on UNAVAILABLE only.
 * grpc-js waits a random time up to the current backoff before each attempt (jitter), keeps all
 * attempts within the call's deadline, and stops retrying once failures outweigh successes
 * (retryThrottling), so that an outage does not multiply the load on the service.
 */
export function serviceConfig(): string {
  const retried = idempotentMethods();
  return JSON.stringify({
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig:
      retried.length === 0
        ? []
        : [
            {
              name: retried.map((method) => ({ service: AuthServiceDefinition.fullName, method })),
              retryPolicy: {
                maxAttempts: 3,
                initialBackoff: '0.05s',
                maxBackoff: '0.5s',
                backoffMultiplier: 2,
                retryableStatusCodes: ['UNAVAILABLE'],
              },
            },
          ],
    retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
  });
}
