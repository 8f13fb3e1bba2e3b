import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { jwtVerify } from 'jose'
import type { Redis } from 'ioredis'
import { MemoryStateStore, RedisStateStore, type Identity, type StateStore } from '../lib/index.js'
import { buildApp, JWT_SECRET, REDIRECT_URI, type TestApp } from './support/app.js'
import { startOidcServer, type OidcServer } from '../examples/demo/local-provider.js'
import { signInAtProvider } from '../examples/demo/browser.js'
import { connectRedis, deleteKeys, testKeyPrefix } from './support/redis.js'

interface Callback {
  code: string
  state: string
  iss: string
}

/** Runs GET, then the provider's sign-in pages, and returns what the provider redirected back with. */
async function startLogin (testApp: TestApp, login = 'alice', provider = 'local'): Promise<Callback> {
  const response = await testApp.begin(provider)
  assert.equal(response.statusCode, 200, response.body)
  const redirect = await signInAtProvider(response.json().authorization_url, { login, redirectUri: REDIRECT_URI })
  return {
    code: redirect.searchParams.get('code') ?? '',
    state: redirect.searchParams.get('state') ?? '',
    iss: redirect.searchParams.get('iss') ?? ''
  }
}

const storeKinds = ['memory', 'redis'] as const

for (const storeKind of storeKinds) {
  describe(`login against oidc-provider with ${storeKind} store`, () => {
    let oidc: OidcServer
    let testApp: TestApp
    let redis: Redis | null = null
    const keyPrefix = testKeyPrefix('login')
    const identities: Identity[] = []

    before(async () => {
      oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
      let stateStore: StateStore
      if (storeKind === 'redis') {
        redis = connectRedis()
        stateStore = new RedisStateStore(redis, { keyPrefix })
      } else {
        stateStore = new MemoryStateStore()
      }
      const local = { type: 'oidc' as const, issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
      testApp = await buildApp({
        stateStore,
        providers: { local, other: local },
        resolveUser: async (identity) => {
          identities.push(identity)
          return { id: `${identity.provider}:${identity.uid}`, email: identity.email, username: identity.username, passwordHash: 'never-serialized' }
        }
      })
    })

    after(async () => {
      await testApp.app.close()
      await oidc.close()
      if (redis !== null) {
        await deleteKeys(redis, keyPrefix)
        await redis.quit()
      }
    })

    it('full login returns 201 with a verifiable token', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })

      assert.equal(response.statusCode, 201, response.body)
      assert.equal(response.headers['cache-control'], 'no-store')
      const body = response.json()
      assert.deepEqual(body.user, { id: 'local:alice', email: 'alice@example.test', username: 'alice' })
      const { payload, protectedHeader } = await jwtVerify(body.token, new TextEncoder().encode(JWT_SECRET), { algorithms: ['HS256'] })
      assert.equal(protectedHeader.alg, 'HS256')
      assert.equal(payload.sub, 'local:alice')
      assert.equal(typeof payload.exp, 'number')
      assert.ok((payload.exp ?? 0) > Date.now() / 1000)
    })

    it('logs contain no code, state or token', async () => {
      identities.length = 0
      const logStart = testApp.logs.length
      const callback = await startLogin(testApp)
      const asQuery = await testApp.app.inject({ method: 'POST', url: '/o/local/', query: { ...callback } })
      assert.equal(asQuery.statusCode, 201, asQuery.body)
      const replay = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(replay.statusCode, 400)

      const logged = JSON.stringify(testApp.logs.slice(logStart))
      const tokens = identities[0]?.tokens
      assert.ok(tokens)
      const secrets = {
        code: callback.code,
        state: callback.state,
        accessToken: tokens.accessToken,
        idToken: tokens.idToken ?? '',
        issuedToken: asQuery.json().token,
        clientSecret: oidc.clientSecret,
        jwtSecret: JWT_SECRET
      }
      for (const [name, secret] of Object.entries(secrets)) {
        assert.ok(secret.length > 0, name)
        assert.ok(!logged.includes(secret), `${name} appears in the logs`)
      }
      assert.ok(logged.includes('/o/local/?[redacted]'), 'the request line is still logged')
    })

    it('identity is normalized from id_token and userinfo', async () => {
      identities.length = 0
      const callback = await startLogin(testApp, 'bob')
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(response.statusCode, 201, response.body)

      const identity = identities[0]
      assert.ok(identity)
      assert.equal(identity.provider, 'local')
      assert.equal(identity.uid, 'bob')
      assert.equal(identity.email, 'bob@example.test')
      assert.equal(identity.emailVerified, true)
      assert.equal(identity.username, 'bob')
      assert.equal(identity.name, 'Bob Example')
      assert.equal(identity.firstName, 'Bob')
      assert.equal(identity.lastName, 'Example')
      assert.equal(identity.picture, 'https://pictures.example.test/bob.png')
      assert.equal(typeof identity.tokens.accessToken, 'string')
      assert.equal(typeof identity.tokens.idToken, 'string')
      assert.ok(identity.tokens.expiresAt instanceof Date)
      assert.equal(identity.raw.iss, oidc.issuer)
    })

    it('unverified email is reported unverified', async () => {
      identities.length = 0
      const callback = await startLogin(testApp, 'unverified-carol')
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(response.statusCode, 201, response.body)
      assert.equal(identities[0]?.email, 'unverified-carol@example.test')
      assert.equal(identities[0]?.emailVerified, false)
    })

    it('form-urlencoded POST works', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...callback }).toString()
      })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('query-string POST without a body works', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', query: { ...callback } })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('query-string POST with an empty JSON body works', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        query: { code: callback.code, state: callback.state },
        headers: { 'content-type': 'application/json' },
        payload: ''
      })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('body value wins over the query string', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        query: { code: 'query-code', state: 'query-state' },
        payload: callback
      })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('route without trailing slash works', async () => {
      const begin = await testApp.app.inject({ url: '/o/local', query: { redirect_uri: REDIRECT_URI } })
      assert.equal(begin.statusCode, 200)
      const redirect = await signInAtProvider(begin.json().authorization_url, { redirectUri: REDIRECT_URI })
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local',
        payload: { code: redirect.searchParams.get('code'), state: redirect.searchParams.get('state') }
      })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('forwarded callback parameters are ignored', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        payload: { ...callback, scope: 'openid email', authuser: '0', prompt: 'consent', hd: 'example.test', session_state: 'abc' }
      })
      assert.equal(response.statusCode, 201, response.body)
    })

    it('replayed state is rejected', async () => {
      const callback = await startLogin(testApp)
      const first = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(first.statusCode, 201, first.body)

      const replay = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(replay.statusCode, 400)
      assert.deepEqual(Object.keys(replay.json()), ['non_field_errors'])
    })

    it('state from another provider is rejected and consumed', async () => {
      const callback = await startLogin(testApp)
      const wrong = await testApp.app.inject({ method: 'POST', url: '/o/other/', payload: callback })
      assert.equal(wrong.statusCode, 400)
      assert.ok(Array.isArray(wrong.json().non_field_errors))

      const original = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
      assert.equal(original.statusCode, 400)
      assert.ok(Array.isArray(original.json().non_field_errors))
    })

    it('made-up state is rejected', async () => {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/o/local/',
        payload: { code: 'some-code', state: 'bm90LWEtcmVhbC1zdGF0ZS12YWx1ZS1hdC1hbGwtMTIzNDU2' }
      })
      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json(), { non_field_errors: ['Invalid or expired state. Start the sign-in again.'] })
    })

    it('concurrent POSTs with one state give exactly one 201', async () => {
      const callback = await startLogin(testApp)
      const responses = await Promise.all(Array.from({ length: 5 }, async () =>
        await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })))
      const statuses = responses.map((response) => response.statusCode).sort()
      assert.deepEqual(statuses, [201, 400, 400, 400, 400])
    })

    it('code rejected by the provider gives 400', async () => {
      const begin = await testApp.begin()
      const state = new URL(begin.json().authorization_url).searchParams.get('state')
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: 'made-up-code', state } })
      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json(), { non_field_errors: ['The authorization code is invalid or expired. Sign in again.'] })
    })

    it('iss parameter from another issuer is rejected', async () => {
      const callback = await startLogin(testApp)
      const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { ...callback, iss: 'https://attacker.example.test' } })
      assert.equal(response.statusCode, 400)
      assert.ok(Array.isArray(response.json().non_field_errors))
    })

    it('access_denied is answered 400 and consumes the state', async () => {
      const begin = await testApp.begin()
      const state = new URL(begin.json().authorization_url).searchParams.get('state') ?? ''
      const denied = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { error: 'access_denied', state } })
      assert.equal(denied.statusCode, 400)
      assert.deepEqual(denied.json(), { non_field_errors: ['Sign-in was cancelled at the provider.'] })

      const retry = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: 'any-code', state } })
      assert.deepEqual(retry.json(), { non_field_errors: ['Invalid or expired state. Start the sign-in again.'] })
    })

    it('authorization URL carries state, PKCE and nonce', async () => {
      const begin = await testApp.begin()
      const url = new URL(begin.json().authorization_url)
      assert.equal(url.origin, oidc.issuer)
      assert.equal(url.searchParams.get('client_id'), oidc.clientId)
      assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI)
      assert.equal(url.searchParams.get('response_type'), 'code')
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
      assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/)
      assert.match(url.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/)
      assert.match(url.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/)
      assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['openid', 'email', 'profile'])
    })

    if (storeKind === 'redis') {
      it('redis keeps only a hash of the state', async () => {
        const begin = await testApp.begin()
        const url = new URL(begin.json().authorization_url)
        const state = url.searchParams.get('state') ?? ''
        const key = keyPrefix + createHash('sha256').update(state).digest('base64url')
        const client = redis as Redis
        const value = await client.get(key)
        assert.ok(value !== null, 'state record stored under the hashed key')
        assert.ok(!value.includes(state), 'record does not contain the state')
        assert.equal(await client.exists(keyPrefix + state), 0)
        const ttl = await client.pttl(key)
        assert.ok(ttl > 590_000, `TTL ${ttl} ms`)
        assert.ok(ttl <= 600_000, `TTL ${ttl} ms`)
      })
    }
  })
}

describe('expired state', () => {
  for (const storeKind of storeKinds) {
    it(`is rejected by the ${storeKind} store`, async () => {
      const oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
      const redis = storeKind === 'redis' ? connectRedis() : null
      const keyPrefix = testKeyPrefix('expiry')
      const testApp = await buildApp({
        stateTtlSeconds: 0.3,
        stateStore: redis === null ? new MemoryStateStore() : new RedisStateStore(redis, { keyPrefix }),
        providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } }
      })
      try {
        const callback = await startLogin(testApp)
        await new Promise((resolve) => setTimeout(resolve, 400))
        const response = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: callback })
        assert.equal(response.statusCode, 400)
        assert.deepEqual(response.json(), { non_field_errors: ['Invalid or expired state. Start the sign-in again.'] })
      } finally {
        await testApp.app.close()
        await oidc.close()
        if (redis !== null) {
          await deleteKeys(redis, keyPrefix)
          await redis.quit()
        }
      }
    })
  }
})
