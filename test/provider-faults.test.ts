import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, beforeEach, describe, it } from 'node:test'
import { MemoryStateStore, type StateRecord, type StateStore, StoreUnavailableError } from '../lib/index.js'
import { buildApp, type TestApp } from './support/app.js'
import { emulatedEndpoints, ProviderEmulator } from './support/provider-emulator.js'

const CLIENT_ID = 'fault-client'
const CLIENT_SECRET = 'fault-client-secret-0123456789'
const PROVIDER_FAILED = { detail: 'The sign-in provider failed to respond correctly. Try again later.' }

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

describe('provider faults', () => {
  const emulator = new ProviderEmulator()

  before(async () => { await emulator.start() })
  after(async () => { await emulator.close() })
  beforeEach(() => { emulator.reset() })

  async function beginState (testApp: TestApp, provider: string): Promise<{ state: string, nonce: string | null, url: URL }> {
    const response = await testApp.begin(provider)
    assert.equal(response.statusCode, 200, response.body)
    const url = new URL(response.json().authorization_url)
    return { state: url.searchParams.get('state') ?? '', nonce: url.searchParams.get('nonce'), url }
  }

  it('slow token endpoint times out with 502', async () => {
    const testApp = await buildApp({
      providerTimeoutMs: 300,
      providers: { discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } }
    })
    try {
      const { state } = await beginState(testApp, 'discord')
      emulator.route('POST /token', async () => {
        await sleep(2000)
        return { access_token: 'late' }
      })
      const started = Date.now()
      const response = await testApp.app.inject({ method: 'POST', url: '/o/discord/', payload: { code: 'c', state } })
      const elapsed = Date.now() - started
      assert.equal(response.statusCode, 502)
      assert.deepEqual(response.json(), PROVIDER_FAILED)
      assert.ok(elapsed < 1500, `answered after ${elapsed} ms`)
      assert.ok(testApp.logs.some((line) => line.code === 'PROVIDER_TIMEOUT'), 'logged as a timeout')
    } finally {
      await testApp.app.close()
    }
  })

  it('token endpoint that drips its body times out once', async () => {
    const testApp = await buildApp({
      providerTimeoutMs: 400,
      providers: { discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } }
    })
    try {
      const { state } = await beginState(testApp, 'discord')
      emulator.route('POST /token', async (_request, reply) => {
        reply.raw.writeHead(200, { 'content-type': 'application/json' })
        reply.raw.write('{"access_token":')
        await sleep(300)
        reply.raw.write(' ')
        await sleep(1500)
        reply.raw.end('"late"}')
        return reply
      })
      const started = Date.now()
      const response = await testApp.app.inject({ method: 'POST', url: '/o/discord/', payload: { code: 'c', state } })
      const elapsed = Date.now() - started
      assert.equal(response.statusCode, 502)
      assert.ok(elapsed < 1000, `answered after ${elapsed} ms`)
    } finally {
      await testApp.app.close()
    }
  })

  it('unreachable token endpoint gives 502', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const testApp = await buildApp({
      providers: { discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: { ...emulatedEndpoints(emulator), tokenEndpoint: `http://127.0.0.1:${port}/token` } } }
    })
    try {
      const { state } = await beginState(testApp, 'discord')
      const response = await testApp.app.inject({ method: 'POST', url: '/o/discord/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 502)
      assert.ok(testApp.logs.some((line) => line.code === 'PROVIDER_UNREACHABLE'))
    } finally {
      await testApp.app.close()
    }
  })

  it('reset connections give 502', async () => {
    const testApp = await buildApp({
      providers: { discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } }
    })
    try {
      for (const broken of ['POST /token', 'GET /users/@me']) {
        emulator.reset()
        const { state } = await beginState(testApp, 'discord')
        emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer' }))
        emulator.route(broken, (_request, reply) => {
          reply.raw.socket?.destroy()
          return reply
        })
        const response = await testApp.app.inject({ method: 'POST', url: '/o/discord/', payload: { code: 'c', state } })
        assert.equal(response.statusCode, 502, broken)
        assert.deepEqual(response.json(), PROVIDER_FAILED)
      }
      assert.ok(testApp.logs.some((line) => line.code === 'PROVIDER_UNREACHABLE'))
    } finally {
      await testApp.app.close()
    }
  })

  it('JWKS endpoint failure gives 502', async () => {
    const testApp = await buildApp({
      providers: { google: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator, '/broken-jwks') } }
    })
    try {
      const { state, nonce } = await beginState(testApp, 'google')
      emulator.route('GET /broken-jwks', (_request, reply) => reply.code(503).send('maintenance'))
      const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, sub: 'u', nonce: nonce ?? undefined })
      emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer', id_token: idToken }))
      const response = await testApp.app.inject({ method: 'POST', url: '/o/google/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 502)
      assert.deepEqual(response.json(), PROVIDER_FAILED)
    } finally {
      await testApp.app.close()
    }
  })

  it('failed discovery gives 502 and recovers', async () => {
    const testApp = await buildApp({
      discoveryRetrySeconds: 0.2,
      providers: {
        corp: { type: 'oidc', issuer: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
        discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) }
      }
    })
    try {
      const down = await testApp.begin('corp')
      assert.equal(down.statusCode, 502)
      assert.deepEqual(down.json(), PROVIDER_FAILED)
      assert.equal((await testApp.begin('discord')).statusCode, 200, 'other providers keep working')

      emulator.route('GET /.well-known/openid-configuration', () => ({
        issuer: emulator.url,
        authorization_endpoint: `${emulator.url}/authorize`,
        token_endpoint: `${emulator.url}/token`,
        jwks_uri: `${emulator.url}/jwks`
      }))
      assert.equal((await testApp.begin('corp')).statusCode, 502, 'no retry before discoveryRetrySeconds')
      await sleep(250)
      assert.equal((await testApp.begin('corp')).statusCode, 200)
    } finally {
      await testApp.app.close()
    }
  })

  it('discovery issuer that differs from the configured one gives 502', async () => {
    emulator.route('GET /.well-known/openid-configuration', () => ({
      issuer: `${emulator.url}/`,
      authorization_endpoint: `${emulator.url}/authorize`,
      token_endpoint: `${emulator.url}/token`,
      jwks_uri: `${emulator.url}/jwks`
    }))
    const testApp = await buildApp({
      providers: { corp: { type: 'oidc', issuer: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }
    })
    try {
      const response = await testApp.begin('corp')
      assert.equal(response.statusCode, 502)
      assert.ok(testApp.logs.some((line) => line.code === 'PROVIDER_MISCONFIGURED' && String(line.reason).includes('differs from the configured issuer')))
    } finally {
      await testApp.app.close()
    }
  })

  it('endpoint query parameters are merged, never repeated', async () => {
    const testApp = await buildApp({
      providers: {
        legacy: {
          type: 'oauth2',
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          authorizationEndpoint: 'https://id.example.test/authorize?prompt=none&tenant=acme&client_id=wrong',
          tokenEndpoint: `${emulator.url}/token`,
          authorizationParams: { prompt: 'login' },
          fetchProfile: async () => ({ uid: 'u' })
        }
      }
    })
    try {
      const { url } = await beginState(testApp, 'legacy')
      assert.equal(url.origin + url.pathname, 'https://id.example.test/authorize')
      assert.deepEqual(url.searchParams.getAll('prompt'), ['login'])
      assert.deepEqual(url.searchParams.getAll('tenant'), ['acme'])
      assert.deepEqual(url.searchParams.getAll('client_id'), [CLIENT_ID])
      assert.deepEqual(url.searchParams.getAll('response_type'), ['code'])
    } finally {
      await testApp.app.close()
    }
  })

  it('pkce false sends no challenge and no verifier', async () => {
    const testApp = await buildApp({
      providers: { spotify: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, pkce: false, endpoints: emulatedEndpoints(emulator) } }
    })
    try {
      const { state, url } = await beginState(testApp, 'spotify')
      assert.equal(url.searchParams.get('code_challenge'), null)
      assert.equal(url.searchParams.get('code_challenge_method'), null)
      emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer' }))
      emulator.route('GET /me', () => ({ id: 'u1' }))
      const response = await testApp.app.inject({ method: 'POST', url: '/o/spotify/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 201, response.body)
      assert.equal((emulator.last('POST /token')?.body as Record<string, string>).code_verifier, undefined)
    } finally {
      await testApp.app.close()
    }
  })

  it('token endpoint auth method is configurable', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      emulator.reset()
      const testApp = await buildApp({
        providers: { spotify: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: method, endpoints: emulatedEndpoints(emulator) } }
      })
      try {
        const { state } = await beginState(testApp, 'spotify')
        emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer' }))
        emulator.route('GET /me', () => ({ id: 'u1' }))
        const response = await testApp.app.inject({ method: 'POST', url: '/o/spotify/', payload: { code: 'c', state } })
        assert.equal(response.statusCode, 201, response.body)
        const request = emulator.last('POST /token')
        const body = request?.body as Record<string, string>
        if (method === 'client_secret_basic') {
          assert.equal(request?.headers.authorization, `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`)
          assert.equal(body.client_secret, undefined)
        } else {
          assert.equal(request?.headers.authorization, undefined)
          assert.equal(body.client_id, CLIENT_ID)
          assert.equal(body.client_secret, CLIENT_SECRET)
        }
      } finally {
        await testApp.app.close()
      }
    }
  })

  it('plain OAuth 2.0 provider ignores an id_token', async () => {
    const identities: Array<{ idToken: string | null }> = []
    const testApp = await buildApp({
      providers: { spotify: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } },
      resolveUser: async (identity) => {
        identities.push(identity.tokens)
        return { id: identity.uid }
      }
    })
    try {
      const { state } = await beginState(testApp, 'spotify')
      emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer', id_token: 'not-even-a-jwt' }))
      emulator.route('GET /me', () => ({ id: 'u1' }))
      const response = await testApp.app.inject({ method: 'POST', url: '/o/spotify/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 201, response.body)
      assert.equal(identities[0]?.idToken, null)
    } finally {
      await testApp.app.close()
    }
  })
})

describe('state store failures on POST', () => {
  /** A store whose take fails as a Redis outage would, to check the POST side of a 503. */
  class FailingTakeStore implements StateStore {
    readonly #inner = new MemoryStateStore()
    async save (key: string, record: StateRecord, ttlMs: number): Promise<void> {
      await this.#inner.save(key, record, ttlMs)
    }

    async take (): Promise<StateRecord | null> {
      throw new StoreUnavailableError('store is down', { retryAfterSeconds: 7 })
    }
  }

  it('POST answers 503 with Retry-After and no-store', async () => {
    const emulator = new ProviderEmulator()
    await emulator.start()
    const testApp = await buildApp({
      stateStore: new FailingTakeStore(),
      providers: { spotify: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } }
    })
    try {
      const begin = await testApp.begin('spotify')
      const state = new URL(begin.json().authorization_url).searchParams.get('state')
      const response = await testApp.app.inject({ method: 'POST', url: '/o/spotify/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 503)
      assert.deepEqual(response.json(), { detail: 'Sign-in is temporarily unavailable. Try again later.' })
      assert.equal(response.headers['retry-after'], '7')
      assert.equal(response.headers['cache-control'], 'no-store')
    } finally {
      await testApp.app.close()
      await emulator.close()
    }
  })

  it('host error with a statusCode gives 500, not a client error', async () => {
    const emulator = new ProviderEmulator()
    await emulator.start()
    const testApp = await buildApp({
      providers: { spotify: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) } },
      resolveUser: async () => {
        throw Object.assign(new Error('database said no'), { statusCode: 403 })
      }
    })
    try {
      const begin = await testApp.begin('spotify')
      const state = new URL(begin.json().authorization_url).searchParams.get('state')
      emulator.route('POST /token', () => ({ access_token: 'a', token_type: 'Bearer' }))
      emulator.route('GET /me', () => ({ id: 'u1' }))
      const response = await testApp.app.inject({ method: 'POST', url: '/o/spotify/', payload: { code: 'c', state } })
      assert.equal(response.statusCode, 500)
      assert.deepEqual(response.json(), { detail: 'Internal server error.' })
    } finally {
      await testApp.app.close()
      await emulator.close()
    }
  })
})
