import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { RedisStateStore } from '../lib/index.js'
import { signInAtProvider } from '../examples/demo/browser.js'
import { startOidcServer, type OidcServer } from '../examples/demo/local-provider.js'
import { buildApp, REDIRECT_URI, type TestApp } from './support/app.js'
import { freePort, RedisProcess } from './support/redis.js'
import { StubProvider } from './support/stub-provider.js'

const BINDING_MISMATCH = { non_field_errors: ['This sign-in was started in another browser or tab. Start the sign-in again.'] }
const UNAVAILABLE = { detail: 'Sign-in is temporarily unavailable. Try again later.' }

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

function bindingPair (): { verifier: string, challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

describe('login CSRF binding', () => {
  let oidc: OidcServer

  before(async () => { oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] }) })
  after(async () => { await oidc.close() })

  function local (): { type: 'oidc', issuer: string, clientId: string, clientSecret: string } {
    return { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
  }

  /** Runs GET with the given query and the provider's pages, and returns the callback's code and state with GET's cookie. */
  async function start (testApp: TestApp, query: Record<string, string>): Promise<{ code: string, state: string, cookie: string | undefined }> {
    const begin = await testApp.app.inject({ url: '/o/local/', query: { redirect_uri: REDIRECT_URI, ...query } })
    assert.equal(begin.statusCode, 200, begin.body)
    const redirect = await signInAtProvider(begin.json().authorization_url, { redirectUri: REDIRECT_URI })
    const setCookie = begin.headers['set-cookie']
    return {
      code: redirect.searchParams.get('code') ?? '',
      state: redirect.searchParams.get('state') ?? '',
      cookie: typeof setCookie === 'string' ? setCookie.split(';')[0] : undefined
    }
  }

  it('challenge binding accepts the matching verifier', async () => {
    const testApp = await buildApp({ providers: { local: local() } })
    try {
      const { verifier, challenge } = bindingPair()
      const { code, state } = await start(testApp, { binding_challenge: challenge })
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code, state, binding_verifier: verifier } })
      assert.equal(response.statusCode, 201, response.body)
    } finally {
      await testApp.app.close()
    }
  })

  it('challenge binding rejects a missing or wrong verifier', async () => {
    const testApp = await buildApp({ providers: { local: local() } })
    try {
      const { challenge } = bindingPair()
      const missing = await start(testApp, { binding_challenge: challenge })
      const withoutVerifier = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: missing.code, state: missing.state } })
      assert.equal(withoutVerifier.statusCode, 400)
      assert.deepEqual(withoutVerifier.json(), BINDING_MISMATCH)

      const wrong = await start(testApp, { binding_challenge: challenge })
      const attacker = bindingPair()
      const withWrongVerifier = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: wrong.code, state: wrong.state, binding_verifier: attacker.verifier } })
      assert.equal(withWrongVerifier.statusCode, 400)
      assert.deepEqual(withWrongVerifier.json(), BINDING_MISMATCH)
    } finally {
      await testApp.app.close()
    }
  })

  it('required binding rejects GET without a challenge', async () => {
    const testApp = await buildApp({ providers: { local: local() }, binding: { required: true } })
    try {
      const response = await testApp.begin()
      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json(), { binding_challenge: ['This field is required.'] })
      const malformed = await testApp.app.inject({ url: '/o/local/', query: { redirect_uri: REDIRECT_URI, binding_challenge: 'short' } })
      assert.equal(malformed.statusCode, 400)
      assert.deepEqual(malformed.json(), { binding_challenge: ['Enter a valid value.'] })
    } finally {
      await testApp.app.close()
    }
  })

  it('cookie binding accepts the browser that started the sign-in', async () => {
    const testApp = await buildApp({ providers: { local: local() }, binding: { cookie: { secure: false } } })
    try {
      const begin = await testApp.begin()
      const setCookie = String(begin.headers['set-cookie'])
      assert.match(setCookie, /^social_auth_binding_[A-Za-z0-9_-]{12}=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/)

      const { code, state, cookie } = await start(testApp, {})
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code, state }, headers: { cookie: `other=1; ${String(cookie)}` } })
      assert.equal(response.statusCode, 201, response.body)
      const cookieName = String(cookie).split('=')[0]
      assert.equal(response.headers['set-cookie'], `${String(cookieName)}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`, 'the used cookie is expired')
    } finally {
      await testApp.app.close()
    }
  })

  it('cookie binding rejects a browser without the cookie', async () => {
    const testApp = await buildApp({ providers: { local: local() }, binding: { cookie: true } })
    try {
      const victim = await start(testApp, {})
      const missing = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: victim.code, state: victim.state } })
      assert.equal(missing.statusCode, 400)
      assert.deepEqual(missing.json(), BINDING_MISMATCH)

      // The attacker's own cookie value, under the name of the victim's sign-in, does not match.
      const attacker = await start(testApp, {})
      const victimAgain = await start(testApp, {})
      const victimName = String(victimAgain.cookie).split('=')[0]
      const attackerValue = String(attacker.cookie).split('=')[1]
      const forged = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        payload: { code: victimAgain.code, state: victimAgain.state },
        headers: { cookie: `${String(victimName)}=${String(attackerValue)}` }
      })
      assert.equal(forged.statusCode, 400)
      assert.deepEqual(forged.json(), BINDING_MISMATCH)
      assert.match(String((await testApp.begin()).headers['set-cookie']), /^__Host-social_auth_binding_.*; Secure$/)
    } finally {
      await testApp.app.close()
    }
  })
})

describe('RFC 9207 issuer parameter', () => {
  it('strict mode rejects a missing iss when the provider sends it', async () => {
    const oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
    const local = { type: 'oidc' as const, issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
    const strict = await buildApp({ providers: { local }, requireIssuerParameter: true })
    const lenient = await buildApp({ providers: { local } })
    try {
      for (const [testApp, expected] of [[strict, 400], [lenient, 201]] as const) {
        const begin = await testApp.begin()
        const redirect = await signInAtProvider(begin.json().authorization_url, { redirectUri: REDIRECT_URI })
        assert.ok(redirect.searchParams.get('iss'), 'oidc-provider sends iss')
        const response = await testApp.app.inject({
          method: 'POST',
          url: '/o/local/',
          payload: { code: redirect.searchParams.get('code'), state: redirect.searchParams.get('state') }
        })
        assert.equal(response.statusCode, expected, response.body)
      }

      const begin = await strict.begin()
      const redirect = await signInAtProvider(begin.json().authorization_url, { redirectUri: REDIRECT_URI })
      const withIss = await strict.app.inject({ method: 'POST', url: '/o/local/', payload: Object.fromEntries(redirect.searchParams) })
      assert.equal(withIss.statusCode, 201, withIss.body)
    } finally {
      await strict.app.close()
      await lenient.app.close()
      await oidc.close()
    }
  })
})

describe('RFC 9207 without provider support', () => {
  it('strict mode accepts iss-less providers', async () => {
    const stub = new StubProvider()
    await stub.start()
    const testApp = await buildApp({
      requireIssuerParameter: true,
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } }
    })
    try {
      const begin = await testApp.begin('stub')
      const url = new URL(begin.json().authorization_url)
      const idToken = await stub.idToken({ nonce: url.searchParams.get('nonce') ?? '' })
      stub.tokenHandler = () => ({ access_token: 'a', token_type: 'Bearer', id_token: idToken })
      stub.userinfoHandler = () => ({ sub: 'stub-user-1' })
      const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'c', state: url.searchParams.get('state') } })
      assert.equal(response.statusCode, 201, response.body)
    } finally {
      await testApp.app.close()
      await stub.close()
    }
  })
})

describe('JWKS rotation', () => {
  const stub = new StubProvider()
  let testApp: TestApp

  before(async () => {
    await stub.start()
    testApp = await buildApp({
      jwksCooldownSeconds: 0.5,
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } }
    })
  })
  after(async () => {
    await testApp.app.close()
    await stub.close()
  })

  async function signInWith (sign: (nonce: string) => Promise<string>): Promise<number> {
    const begin = await testApp.begin('stub')
    const url = new URL(begin.json().authorization_url)
    const idToken = await sign(url.searchParams.get('nonce') ?? '')
    stub.tokenHandler = () => ({ access_token: 'a', token_type: 'Bearer', id_token: idToken })
    stub.userinfoHandler = () => ({ sub: 'stub-user-1' })
    const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'c', state: url.searchParams.get('state') } })
    return response.statusCode
  }

  it('refetches once for a new kid, then holds off forged ones', async () => {
    assert.equal(await signInWith(async (nonce) => await stub.idToken({ nonce })), 201)
    const afterFirst = stub.jwksFetches

    // After the cooldown, the provider rotates in a new key and signs with it.
    await sleep(600)
    const { exportJWK, generateKeyPair } = await import('jose')
    const rotated = await generateKeyPair('RS256', { extractable: true })
    stub.publishedKeys.push({ ...(await exportJWK(rotated.publicKey)), kid: 'stub-key-2', alg: 'RS256', use: 'sig' })
    assert.equal(await signInWith(async (nonce) => await stub.idToken({ nonce }, { key: rotated.privateKey, kid: 'stub-key-2' })), 201)
    assert.equal(stub.jwksFetches, afterFirst + 1, 'one refetch for the new kid')

    // Forged kids within the cooldown cause no further fetches.
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal(await signInWith(async (nonce) => await stub.idToken({ nonce }, { key: stub.foreignKey, kid: `forged-${attempt}` })), 400)
    }
    assert.equal(stub.jwksFetches, afterFirst + 1, 'no refetch during the cooldown')
  })
})

describe('Redis failures', () => {
  let oidc: OidcServer

  before(async () => { oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] }) })
  after(async () => { await oidc.close() })

  async function withPrivateRedis (run: (testApp: TestApp, admin: Redis) => Promise<void>): Promise<void> {
    const server = new RedisProcess(await freePort())
    await server.start()
    const client = new Redis(server.url)
    const admin = new Redis(server.url)
    const testApp = await buildApp({
      stateStore: new RedisStateStore(client, { commandTimeoutMs: 300 }),
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } }
    })
    try {
      await client.ping()
      await run(testApp, admin)
    } finally {
      client.disconnect()
      admin.disconnect()
      await testApp.app.close()
      await server.stop()
    }
  }

  it('an error reply gives 503 and recovers', async () => {
    await withPrivateRedis(async (testApp, admin) => {
      await admin.config('SET', 'maxmemory', '1')
      const failing = await testApp.begin()
      assert.equal(failing.statusCode, 503)
      assert.deepEqual(failing.json(), UNAVAILABLE)
      assert.ok(Number(failing.headers['retry-after']) > 0)
      assert.ok(testApp.logs.some((line) => line.level >= 50 && String(line.reason).includes('OOM')), 'the cause is logged')

      await admin.config('SET', 'maxmemory', '0')
      assert.equal((await testApp.begin()).statusCode, 200)
    })
  })

  it('a command timeout gives 503', async () => {
    await withPrivateRedis(async (testApp, admin) => {
      await admin.call('CLIENT', 'PAUSE', '800', 'WRITE')
      const started = Date.now()
      const paused = await testApp.begin()
      assert.equal(paused.statusCode, 503)
      assert.ok(Date.now() - started < 700, 'answered at the command timeout, not when Redis resumed')
      assert.ok(testApp.logs.some((line) => String(line.reason).includes('timed out')))
      await sleep(900)
      assert.equal((await testApp.begin()).statusCode, 200)
    })
  })
})

describe('redirect_uri near misses', () => {
  const allowed = ['https://app.example.test/auth/callback', 'http://127.0.0.1:5173/auth/callback', 'com.example.app:/oauth2redirect']
  let testApp: TestApp
  let oidc: OidcServer

  before(async () => {
    oidc = await startOidcServer({ redirectUris: allowed })
    testApp = await buildApp({
      redirectUris: allowed,
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } }
    })
  })
  after(async () => {
    await testApp.app.close()
    await oidc.close()
  })

  /** Generates a string that differs from `uri` by one edit: a changed, dropped, added or case-swapped character, or a suffix. */
  function nearMiss (uri: string): fc.Arbitrary<string> {
    const position = fc.integer({ min: 0, max: uri.length })
    const character = fc.constantFrom('/', '.', '@', ':', '?', '#', '%', '\\', ' ', 'a', 'A', '0', '~', '%2F', '%2e', '..', '//')
    return fc.oneof(
      fc.tuple(position, character).map(([at, text]) => uri.slice(0, at) + text + uri.slice(at)),
      position.map((at) => uri.slice(0, at) + uri.slice(at + 1)),
      fc.tuple(position, character).map(([at, text]) => uri.slice(0, at) + text + uri.slice(at + 1)),
      position.map((at) => uri.slice(0, at) + uri.slice(at, at + 1).toUpperCase() + uri.slice(at + 1)),
      fc.constantFrom('/', '?', '?x=1', '#', '#frag', '%00', '.', ':443').map((suffix) => uri + suffix)
    ).filter((candidate) => candidate !== uri && candidate.length > 0)
  }

  for (const uri of allowed) {
    it(`every near miss of ${uri} is rejected`, async () => {
      await fc.assert(fc.asyncProperty(nearMiss(uri), async (candidate) => {
        const response = await testApp.app.inject({ url: '/o/local/', query: { redirect_uri: candidate } })
        if (allowed.includes(candidate)) return response.statusCode === 200
        return response.statusCode === 400 && JSON.stringify(response.json()) === JSON.stringify({ redirect_uri: ['This redirect URI is not allowed.'] })
      }), { numRuns: 300, seed: 4242 })
    })
  }
})

describe('rate limiting with @fastify/rate-limit', () => {
  it('caps GET per client IP on the shared Redis', async () => {
    const { default: rateLimit } = await import('@fastify/rate-limit')
    const { default: Fastify } = await import('fastify')
    const { default: socialAuth } = await import('../lib/index.js')
    const { connectRedis, deleteKeys, testKeyPrefix } = await import('./support/redis.js')
    const oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
    const redis = connectRedis()
    const statePrefix = testKeyPrefix('rate-states')
    const limitPrefix = testKeyPrefix('rate-limit')
    const app = Fastify()
    await app.register(rateLimit, { global: false, redis, nameSpace: limitPrefix })
    await app.register(socialAuth, {
      redirectUris: [REDIRECT_URI],
      stateStore: new RedisStateStore(redis, { keyPrefix: statePrefix }),
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } },
      resolveUser: async (identity) => ({ id: identity.uid }),
      jwt: { secret: 'rate-limit-test-secret-0123456789abcdef' },
      routeConfig: { get: { rateLimit: { max: 3, timeWindow: '1 minute' } } }
    })
    try {
      const begin = async (ip: string): Promise<{ statusCode: number, body: string, headers: Record<string, unknown> }> =>
        await app.inject({ url: '/o/local/', query: { redirect_uri: REDIRECT_URI }, remoteAddress: ip })
      for (let attempt = 0; attempt < 3; attempt++) assert.equal((await begin('203.0.113.7')).statusCode, 200)
      const limited = await begin('203.0.113.7')
      assert.equal(limited.statusCode, 429)
      assert.deepEqual(JSON.parse(limited.body), { detail: 'Request was throttled. Try again later.' })
      assert.ok(Number(limited.headers['retry-after']) > 0)
      assert.equal(limited.headers['cache-control'], 'no-store')
      assert.equal((await begin('198.51.100.9')).statusCode, 200, 'another client is not limited')

      const statesWritten = (await redis.keys(`${statePrefix}*`)).length
      assert.equal(statesWritten, 4, 'the limited requests stored no state')
    } finally {
      await app.close()
      await deleteKeys(redis, statePrefix)
      await deleteKeys(redis, limitPrefix)
      await redis.quit()
      await oidc.close()
    }
  })
})
