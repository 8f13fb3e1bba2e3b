import type { FastifyInstance } from 'fastify'
import type { RedisStateStore } from './redis.js'

const LOG_INTERVAL_MS = 10_000

/**
 * Logs the Redis client's connection errors, at most once per 10 seconds while they repeat. The
 * listener also keeps ioredis from printing "Unhandled error event" for each reconnection attempt.
 */
export function logRedisErrors (fastify: FastifyInstance, store: RedisStateStore): void {
  let lastLoggedAt = 0
  let suppressed = 0
  const onError = (error: Error & { code?: string }): void => {
    const now = Date.now()
    if (now - lastLoggedAt < LOG_INTERVAL_MS) {
      suppressed++
      return
    }
    fastify.log.error({ cause: error.message, errorCode: error.code, suppressed }, 'fastify-social-auth: Redis state store connection error')
    lastLoggedAt = now
    suppressed = 0
  }
  store.client.on('error', onError)
  fastify.addHook('onClose', (_instance, done) => {
    store.client.off('error', onError)
    done()
  })
}
