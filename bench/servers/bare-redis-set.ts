// (b) The floor of the plugin's design: a 256-bit state, a PKCE pair, one Redis SET … PX and a URL.
import { createHash, randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { announce, KEY_PREFIX, PORT, REDIS_URL } from './shared.js'

const redis = new Redis(REDIS_URL)
const app = Fastify()
app.get('/o/:provider/', async () => {
  const random = randomBytes(64)
  const state = random.subarray(0, 32).toString('base64url')
  const verifier = random.subarray(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  await redis.set(KEY_PREFIX + state, verifier, 'PX', 600_000)
  return { authorization_url: `https://provider.example/authorize?state=${state}&code_challenge=${challenge}&code_challenge_method=S256` }
})
announce(await app.listen({ port: PORT, host: '127.0.0.1' }))
