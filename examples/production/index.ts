/**
 * A production set-up: states in Redis shared by every instance, GET rate-limited per client IP
 * on the same Redis, users in PostgreSQL with encrypted provider tokens, djoser's token pair, and
 * the browser binding against login CSRF.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://… JWT_SECRET=… TOKEN_KEY=$(openssl rand -base64 32) \
 *   GOOGLE_CLIENT_ID=… GOOGLE_CLIENT_SECRET=… node --import tsx examples/production/index.ts
 */
import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pg from 'pg'
import socialAuth, { PostgresAccountsAdapter, RedisStateStore, serializeRequestWithoutQuery } from '../../lib/index.js'

function requireEnv (name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}

// Query strings of URLs that miss the plugin's routes stay out of the logs too.
const app = Fastify({ logger: { serializers: { req: serializeRequestWithoutQuery } }, trustProxy: true })

const redis = new Redis(requireEnv('REDIS_URL'))
const pool = new pg.Pool({ connectionString: requireEnv('DATABASE_URL') })
app.addHook('onClose', async () => {
  await redis.quit()
  await pool.end()
})

const accounts = new PostgresAccountsAdapter(pool)
await accounts.migrate()

// global: false limits only the routes whose config requests it.
await app.register(rateLimit, { global: false, redis, nameSpace: 'social-auth-rate:' })

await app.register(socialAuth, {
  prefix: '/auth',
  redirectUris: ['https://app.example.com/auth/callback'],
  stateStore: new RedisStateStore(redis),
  providers: {
    google: { clientId: requireEnv('GOOGLE_CLIENT_ID'), clientSecret: requireEnv('GOOGLE_CLIENT_SECRET') }
  },
  accounts: { adapter: accounts, associateByEmail: true, encryptionKey: requireEnv('TOKEN_KEY') },
  tokenStrategy: 'jwt-pair',
  jwt: { secret: requireEnv('JWT_SECRET') },
  // Each GET writes a state, so a client gets 10 a minute.
  routeConfig: { get: { rateLimit: { max: 10, timeWindow: '1 minute' } } },
  binding: { required: true },
  requireIssuerParameter: true
})

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '0.0.0.0' })
