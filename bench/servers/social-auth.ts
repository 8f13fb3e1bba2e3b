// The plugin itself, with RedisStateStore or MemoryStateStore (BENCH_STORE=redis|memory).
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import socialAuth, { MemoryStateStore, RedisStateStore } from '../../lib/index.js'
import { announce, CLIENT_ID, CLIENT_SECRET, ISSUER, KEY_PREFIX, PORT, REDIRECT_URI, REDIS_URL } from './shared.js'

const useRedis = process.env.BENCH_STORE !== 'memory'
const memoryStore = new MemoryStateStore({ maxEntries: 2_000_000 })
const app = Fastify()
await app.register(socialAuth, {
  redirectUris: [REDIRECT_URI],
  stateStore: useRedis ? new RedisStateStore(new Redis(REDIS_URL), { keyPrefix: `${KEY_PREFIX}state:` }) : memoryStore,
  providers: { bench: { type: 'oidc', issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } },
  resolveUser: async (identity) => ({ id: identity.uid }),
  jwt: { secret: 'bench-jwt-secret-0123456789abcdef0123456789' }
})
// Fills the memory store with pending states, to measure GET with many of them.
app.post('/bench/fill', async (request) => {
  const { count } = request.body as { count: number }
  // Each state gets its own record and strings, as real sign-ins have, so the heap figure counts them.
  for (let index = 0; index < count; index++) {
    const random = randomBytes(96)
    await memoryStore.save(random.subarray(0, 32).toString('base64url'), {
      provider: 'bench',
      redirectUri: `${REDIRECT_URI}`,
      codeVerifier: random.subarray(32, 64).toString('base64url'),
      nonce: random.subarray(64, 96).toString('base64url'),
      createdAt: Date.now(),
      bindingChallenge: null,
      cookieHash: null
    }, 600_000)
  }
  return { size: memoryStore.size, heapUsed: process.memoryUsage().heapUsed }
})
app.get('/bench/heap', async () => {
  globalThis.gc?.()
  return { size: memoryStore.size, heapUsed: process.memoryUsage().heapUsed }
})
announce(await app.listen({ port: PORT, host: '127.0.0.1' }))
