import type { FastifyInstance } from 'fastify';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { Metrics } from '../../metrics.js';

export interface ProbeDeps {
  metrics: Metrics;
  /** The database answers and the process is not shutting down. */
  isReady: () => boolean;
}

export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Kubernetes probes and the Prometheus scrape; they answer while draining so the pod can be seen leaving. */
export function registerProbes(app: FastifyInstance, deps: ProbeDeps): void {
  // Liveness: answering at all is the proof; it never looks at the database, or a database outage
  // would get every pod restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async () => {
    if (!deps.isReady()) throw new AuthError(ErrorCode.SERVICE_UNAVAILABLE, 'not ready');
    return { status: 'ok' };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
