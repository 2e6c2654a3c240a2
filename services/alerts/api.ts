/**
 * The subscriptions HTTP API: the operations of `shelfstream alerts`, over JSON, for a store
 * system or a self-service page. Every request needs `Authorization: Bearer <ALERTS_API_TOKEN>`
 * (compared in constant time); without a configured token the API does not start. Answers never
 * hold a full URL or a stored secret; a new signing secret is in the answer that made it, once.
 *
 *   POST   /v1/subscriptions                  subscribe (body: the subscription request JSON)
 *   GET    /v1/subscriptions                  list
 *   GET    /v1/subscriptions/:id              show
 *   POST   /v1/subscriptions/:id/pause        {"reason": "..."}
 *   POST   /v1/subscriptions/:id/resume
 *   DELETE /v1/subscriptions/:id
 *   POST   /v1/subscriptions/:id/rotate-secret  {"grace_ms": 86400000}
 *   POST   /v1/subscriptions/:id/test
 *   POST   /v1/subscriptions/:id/silences     {"store_id"?, "sku"?, "kind"?, "for_ms", "comment"?}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { SubscriptionAdmin } from './subscription-admin';

const MAX_BODY_BYTES = 65_536;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function buildSubscriptionApi(options: { admin: SubscriptionAdmin; token: string; logger: Logger }): FastifyInstance {
  const app = Fastify({ bodyLimit: MAX_BODY_BYTES, logger: false });
  const expected = digest(options.token);
  const log = options.logger.child({ component: 'alerts-api' });

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    // Hashes compared, so neither the length nor the content of the token leaks by timing.
    if (!timingSafeEqual(digest(presented), expected) || presented === '') {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
    }
  });

  async function answer(reply: FastifyReply, work: () => Promise<unknown>, created = false): Promise<unknown> {
    try {
      const body = await work();
      return reply.code(created ? 201 : body === undefined ? 204 : 200).send(body);
    } catch (error) {
      if (isShelfStreamError(error, 'INVALID_ARGUMENT')) {
        return reply.code(/^no subscription /.test(error.message) ? 404 : 400).send({ error: error.message });
      }
      log.error({ err: error }, 'subscriptions API request failed');
      return reply.code(503).send({ error: 'the subscriptions store is unavailable; try again' });
    }
  }

  type WithId = { Params: { id: string } };
  app.post('/v1/subscriptions', (request, reply) => answer(reply, () => options.admin.subscribe(request.body), true));
  app.get('/v1/subscriptions', (_request, reply) => answer(reply, () => options.admin.list()));
  app.get<WithId>('/v1/subscriptions/:id', (request, reply) => answer(reply, () => options.admin.show(request.params.id)));
  app.post<WithId & { Body: { reason?: string } | undefined }>('/v1/subscriptions/:id/pause', (request, reply) =>
    answer(reply, () => options.admin.pause(request.params.id, typeof request.body?.reason === 'string' ? request.body.reason : '')),
  );
  app.post<WithId>('/v1/subscriptions/:id/resume', (request, reply) => answer(reply, () => options.admin.resume(request.params.id)));
  app.delete<WithId>('/v1/subscriptions/:id', (request, reply) => answer(reply, () => options.admin.remove(request.params.id)));
  app.post<WithId & { Body: { grace_ms?: number } | undefined }>('/v1/subscriptions/:id/rotate-secret', (request, reply) =>
    answer(reply, () => options.admin.rotateSecret(request.params.id, typeof request.body?.grace_ms === 'number' ? request.body.grace_ms : undefined)),
  );
  app.post<WithId>('/v1/subscriptions/:id/test', (request, reply) => answer(reply, () => options.admin.test(request.params.id)));
  app.post<WithId & { Body: { store_id?: string; sku?: string; kind?: string; for_ms: number; comment?: string } }>('/v1/subscriptions/:id/silences', (request, reply) =>
    answer(reply, () => options.admin.silence(request.params.id, request.body ?? { for_ms: 0 }), true),
  );
  return app;
}
