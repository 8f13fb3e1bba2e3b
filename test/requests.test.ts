import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import socialAuth from '../lib/index.js'
import { buildApp, JWT_SECRET, REDIRECT_URI, type TestApp } from './support/app.js'
import { startOidcServer, type OidcServer } from '../examples/demo/local-provider.js'

const NATIVE_REDIRECT_URI = 'com.example.app:/oauth2redirect'
const HTTPS_REDIRECT_URI = 'https://app.example.test/auth/callback'

describe('request validation', () => {
  let oidc: OidcServer
  let testApp: TestApp

  before(async () => {
    oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
    testApp = await buildApp({
      redirectUris: [REDIRECT_URI, HTTPS_REDIRECT_URI, NATIVE_REDIRECT_URI],
      providers: {
        local: {
          type: 'oidc',
          issuer: oidc.issuer,
          clientId: oidc.clientId,
          clientSecret: oidc.clientSecret,
          allowedScopes: ['offline_access'],
          allowedPrompts: ['login', 'select_account'],
          allowLoginHint: true,
          authorizationParams: { prompt: 'consent' }
        },
        strict: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
      }
    })
  })

  after(async () => {
    await testApp.app.close()
    await oidc.close()
  })

  async function get (query: Record<string, string | string[]>, provider = 'local'): Promise<{ status: number, body: Record<string, unknown>, cacheControl: unknown }> {
    const response = await testApp.app.inject({ method: 'GET', url: `/o/${provider}/`, query })
    return { status: response.statusCode, body: response.json(), cacheControl: response.headers['cache-control'] }
  }

  async function post (payload: unknown, headers: Record<string, string> = {}, url = '/o/local/'): Promise<{ status: number, body: Record<string, unknown>, cacheControl: unknown }> {
    const response = await testApp.app.inject({ method: 'POST', url, payload: payload as string, headers })
    return { status: response.statusCode, body: response.json(), cacheControl: response.headers['cache-control'] }
  }

  it('redirect_uri missing gives a field error', async () => {
    const response = await get({})
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { redirect_uri: ['This field is required.'] })
    assert.equal(response.cacheControl, 'no-store')
  })

  it('redirect_uri not on the list gives a field error', async () => {
    const response = await get({ redirect_uri: 'https://attacker.example.test/callback' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { redirect_uri: ['This redirect URI is not allowed.'] })
  })

  const nearMisses = [
    ['trailing slash', `${HTTPS_REDIRECT_URI}/`],
    ['missing path segment', 'https://app.example.test/auth'],
    ['other case in host', 'https://APP.example.test/auth/callback'],
    ['other case in path', 'https://app.example.test/auth/Callback'],
    ['extra query', `${HTTPS_REDIRECT_URI}?next=/admin`],
    ['empty query', `${HTTPS_REDIRECT_URI}?`],
    ['fragment', `${HTTPS_REDIRECT_URI}#x`],
    ['userinfo trick', 'https://app.example.test@attacker.example.test/auth/callback'],
    ['userinfo prefix', 'https://attacker@app.example.test/auth/callback'],
    ['other port', 'https://app.example.test:8443/auth/callback'],
    ['explicit default port', 'https://app.example.test:443/auth/callback'],
    ['http for https', 'http://app.example.test/auth/callback'],
    ['suffix domain', 'https://app.example.test.attacker.example/auth/callback'],
    ['percent-encoded path', 'https://app.example.test/auth%2Fcallback'],
    ['dot segment', 'https://app.example.test/auth/../auth/callback'],
    ['loopback other port', 'http://127.0.0.1:5174/auth/callback'],
    ['localhost for 127.0.0.1', 'http://localhost:5173/auth/callback'],
    ['leading space', ` ${HTTPS_REDIRECT_URI}`],
    ['native scheme other path', 'com.example.app:/other'],
    ['native scheme other case', 'com.Example.app:/oauth2redirect']
  ] as const

  for (const [name, uri] of nearMisses) {
    it(`redirect_uri near miss rejected: ${name}`, async () => {
      const response = await get({ redirect_uri: uri })
      assert.equal(response.status, 400)
      assert.deepEqual(response.body, { redirect_uri: ['This redirect URI is not allowed.'] })
    })
  }

  it('redirect_uri given twice is rejected', async () => {
    const response = await get({ redirect_uri: [HTTPS_REDIRECT_URI, HTTPS_REDIRECT_URI] })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { redirect_uri: ['Only one value is allowed.'] })
  })

  it('each configured redirect_uri is accepted', async () => {
    for (const uri of [REDIRECT_URI, HTTPS_REDIRECT_URI, NATIVE_REDIRECT_URI]) {
      const response = await get({ redirect_uri: uri })
      assert.equal(response.status, 200, `${uri}: ${JSON.stringify(response.body)}`)
      assert.equal(response.cacheControl, 'no-store')
      const url = new URL(response.body.authorization_url as string)
      assert.equal(url.searchParams.get('redirect_uri'), uri)
    }
  })

  it('allowed extra scope is added', async () => {
    const response = await get({ redirect_uri: REDIRECT_URI, scope: 'offline_access email' })
    assert.equal(response.status, 200)
    const url = new URL(response.body.authorization_url as string)
    assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['openid', 'email', 'profile', 'offline_access'])
  })

  it('scope outside the allowed set is rejected', async () => {
    const response = await get({ redirect_uri: REDIRECT_URI, scope: 'admin offline_access' })
    assert.equal(response.status, 400)
    assert.deepEqual(Object.keys(response.body), ['scope'])
  })

  it('allowed prompt and login_hint reach the provider', async () => {
    const response = await get({ redirect_uri: REDIRECT_URI, prompt: 'login select_account', login_hint: 'alice@example.test' })
    assert.equal(response.status, 200)
    const url = new URL(response.body.authorization_url as string)
    assert.deepEqual(url.searchParams.getAll('prompt'), ['login select_account'], 'the request replaces the configured prompt')
    assert.equal(url.searchParams.get('login_hint'), 'alice@example.test')
    const plain = new URL((await get({ redirect_uri: REDIRECT_URI })).body.authorization_url as string)
    assert.equal(plain.searchParams.get('prompt'), 'consent', 'the configured prompt stays otherwise')
  })

  it('prompt and login_hint outside the options are rejected', async () => {
    const prompt = await get({ redirect_uri: REDIRECT_URI, prompt: 'none' })
    assert.equal(prompt.status, 400)
    assert.deepEqual(prompt.body, { prompt: ['Prompt not allowed for this provider: none.'] })
    const hint = await get({ redirect_uri: REDIRECT_URI, login_hint: 'bob@example.test' }, 'strict')
    assert.equal(hint.status, 400)
    assert.deepEqual(hint.body, { login_hint: ['This provider does not accept login_hint.'] })
    const malformed = await get({ redirect_uri: REDIRECT_URI, prompt: 'login  consent' })
    assert.deepEqual(malformed.body, { prompt: ['Enter a valid value.'] })
  })

  it('unknown provider gives 404 on GET and POST', async () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const begin = await get({ redirect_uri: REDIRECT_URI }, name)
      assert.equal(begin.status, 404, name)
      assert.deepEqual(begin.body, { detail: 'Provider not found.' })
      assert.equal(begin.cacheControl, 'no-store')
      const complete = await post({ code: 'c', state: 's' }, {}, `/o/${name}/`)
      assert.equal(complete.status, 404, name)
      assert.deepEqual(complete.body, { detail: 'Provider not found.' })
    }
  })

  it('missing code gives a field error', async () => {
    const response = await post({ state: 'some-state' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { code: ['This field is required.'] })
    assert.equal(response.cacheControl, 'no-store')
  })

  it('missing state gives a field error', async () => {
    const response = await post({ code: 'some-code' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { state: ['This field is required.'] })
  })

  it('empty body lists both required fields', async () => {
    const response = await post({})
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { state: ['This field is required.'], code: ['This field is required.'] })
  })

  it('oversized code and state give field errors', async () => {
    const response = await post({ code: 'c'.repeat(2049), state: 's'.repeat(513) })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, {
      code: ['Ensure this field has no more than 2048 characters.'],
      state: ['Ensure this field has no more than 512 characters.']
    })
  })

  it('blank code and state give field errors', async () => {
    const response = await post({ code: '', state: '' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { code: ['This field may not be blank.'], state: ['This field may not be blank.'] })
  })

  const wrongTypes = [
    ['number', 12345, 'Not a valid string.'],
    ['null', null, 'This field may not be null.'],
    ['array', ['abc'], 'Only one value is allowed.'],
    ['object', { $gt: '' }, 'Not a valid string.'],
    ['boolean', true, 'Not a valid string.']
  ] as const

  for (const [name, value, message] of wrongTypes) {
    it(`code as ${name} gives a field error`, async () => {
      const response = await post({ code: value, state: 'some-state' })
      assert.equal(response.status, 400)
      assert.deepEqual(response.body, { code: [message] })
    })
  }

  it('iss and error of the wrong type give field errors', async () => {
    const response = await post({ code: 'c', state: 's', iss: 1, error: ['access_denied'] })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { iss: ['Not a valid string.'], error: ['Only one value is allowed.'] })
  })

  it('form field given twice is rejected', async () => {
    const response = await post('code=a&code=b&state=s', { 'content-type': 'application/x-www-form-urlencoded' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { code: ['Only one value is allowed.'] })
  })

  it('JSON body that is not an object is rejected', async () => {
    for (const payload of ['"code"', '[1,2]', '42', 'true']) {
      const response = await post(payload, { 'content-type': 'application/json' })
      assert.equal(response.status, 400, payload)
      assert.deepEqual(response.body, { non_field_errors: ['Invalid data. Expected an object of fields.'] }, payload)
    }
  })

  it('broken JSON gives 400 with non_field_errors', async () => {
    const response = await post('{"code": "abc", ', { 'content-type': 'application/json' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { non_field_errors: ['JSON parse error.'] })
    assert.equal(response.cacheControl, 'no-store')
  })

  it('prototype poisoning JSON gives 400', async () => {
    const response = await post('{"code": "a", "state": "s", "__proto__": {"polluted": true}}', { 'content-type': 'application/json' })
    assert.equal(response.status, 400)
    assert.deepEqual(response.body, { non_field_errors: ['JSON parse error.'] })
  })

  it('code outside printable ASCII gives a field error', async () => {
    for (const code of ['\ud800', 'abc\u0000', 'caf\u00e9', 'line\nbreak']) {
      const response = await post({ code, state: 'some-state' })
      assert.equal(response.status, 400, JSON.stringify(code))
      assert.deepEqual(response.body, { code: ['This field contains characters that are not allowed.'] })
    }
  })

  it('HEAD on the GET route stores no state', async () => {
    const response = await testApp.app.inject({ method: 'HEAD', url: '/o/local/', query: { redirect_uri: REDIRECT_URI } })
    assert.equal(response.statusCode, 404)
  })

  it('unknown provider is 404 before field validation', async () => {
    const begin = await testApp.app.inject({ method: 'GET', url: '/o/nope/' })
    assert.equal(begin.statusCode, 404)
    const complete = await post({}, {}, '/o/nope/')
    assert.equal(complete.status, 404)
    const long = await get({ redirect_uri: REDIRECT_URI }, 'x'.repeat(100))
    assert.equal(long.status, 404)
  })

  it('unsupported content type gives 415', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const response = await post('code=a&state=b', { 'content-type': contentType })
      assert.equal(response.status, 415, contentType)
      assert.deepEqual(response.body, { detail: 'Unsupported media type. Send application/json or application/x-www-form-urlencoded.' })
      assert.equal(response.cacheControl, 'no-store')
    }
  })

  it('oversized body gives 413', async () => {
    const response = await post(JSON.stringify({ code: 'c', state: 's', padding: 'x'.repeat(20_000) }), { 'content-type': 'application/json' })
    assert.equal(response.status, 413)
    assert.deepEqual(response.body, { detail: 'Request body is too large.' })
    assert.equal(response.cacheControl, 'no-store')
  })
})

describe('plugin registration', () => {
  it('prefix option moves the routes', async () => {
    const oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
    const app = Fastify()
    app.get('/health', async () => ({ ok: true }))
    await app.register(socialAuth, {
      prefix: '/auth',
      redirectUris: [REDIRECT_URI],
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } },
      resolveUser: async (identity) => ({ id: identity.uid }),
      jwt: { secret: JWT_SECRET }
    })
    try {
      const prefixed = await app.inject({ url: '/auth/o/local/', query: { redirect_uri: REDIRECT_URI } })
      assert.equal(prefixed.statusCode, 200)
      const bare = await app.inject({ url: '/o/local/', query: { redirect_uri: REDIRECT_URI } })
      assert.equal(bare.statusCode, 404)
      // The plugin's error handler and headers stay inside its own routes.
      const health = await app.inject({ url: '/health' })
      assert.equal(health.headers['cache-control'], undefined)
      const unknown = await app.inject({ method: 'POST', url: '/auth/o/local//', query: { code: 'secret-code', state: 'secret-state' } })
      assert.equal(unknown.statusCode, 404)
      assert.deepEqual(unknown.json(), { detail: 'Not found.' })
      assert.equal(unknown.headers['cache-control'], 'no-store')
      assert.ok(!unknown.body.includes('secret-code'), 'the URL is not echoed')
      const outside = await app.inject({ url: '/elsewhere' })
      assert.notDeepEqual(outside.json(), { detail: 'Not found.' }, 'URLs outside the prefix keep the host behavior')
      assert.equal(typeof app.socialAuth.stateStore.take, 'function')
      assert.deepEqual(app.socialAuth.providers, ['local'])
    } finally {
      await app.close()
      await oidc.close()
    }
  })

  it('second registration under another prefix works', async () => {
    const app = Fastify()
    for (const prefix of ['/web', '/mobile']) {
      await app.register(socialAuth, {
        prefix,
        redirectUris: [REDIRECT_URI],
        providers: { github: { clientId: 'c', clientSecret: 's' } },
        resolveUser: async () => ({ id: 1 }),
        jwt: { secret: JWT_SECRET }
      })
    }
    try {
      for (const prefix of ['/web', '/mobile']) {
        const response = await app.inject({ url: `${prefix}/o/github/`, query: { redirect_uri: REDIRECT_URI } })
        assert.equal(response.statusCode, 200, prefix)
      }
    } finally {
      await app.close()
    }
  })

  const invalidOptions: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no providers', { providers: {} }, /providers is empty/],
    ['providers not an object', { providers: 'google' }, /providers must be an object/],
    ['no redirect URI', { redirectUris: undefined }, /no redirect URI/],
    ['empty redirect URI list', { redirectUris: [] }, /redirectUris must be a non-empty array/],
    ['relative redirect URI', { redirectUris: ['/callback'] }, /absolute URL/],
    ['redirect URI with fragment', { redirectUris: ['https://app.example.test/cb#x'] }, /fragment/],
    ['redirect URI with wildcard', { redirectUris: ['https://*.example.test/cb'] }, /wildcard/],
    ['redirect URI over http', { redirectUris: ['http://app.example.test/cb'] }, /https/],
    ['redirect URI with userinfo', { redirectUris: ['https://user@app.example.test/cb'] }, /userinfo/],
    ['javascript redirect URI', { redirectUris: ['javascript:alert(1)'] }, /native app scheme/],
    ['ftp redirect URI', { redirectUris: ['ftp://files.example.test/cb'] }, /native app scheme/],
    ['https redirect URI without slashes', { redirectUris: ['https:app.example.test/cb'] }, /must start with https:\/\//],
    ['provider without client id', { providers: { corp: { type: 'oidc', issuer: 'https://sso.example.test', clientSecret: 's' } } }, /providers\.corp\.clientId is missing/],
    ['provider without client secret', { providers: { corp: { type: 'oidc', issuer: 'https://sso.example.test', clientId: 'c' } } }, /providers\.corp\.clientSecret is missing/],
    ['provider without issuer', { providers: { corp: { type: 'oidc', clientId: 'c', clientSecret: 's' } } }, /providers\.corp\.issuer must be an https URL/],
    ['provider with http issuer', { providers: { corp: { type: 'oidc', issuer: 'http://sso.example.test', clientId: 'c', clientSecret: 's' } } }, /https URL/],
    ['unknown provider type', { providers: { corp: { type: 'saml', clientId: 'c' } } }, /type "saml" is not supported/],
    ['invalid provider name', { providers: { 'Bad Name': { type: 'oidc' } } }, /provider name "Bad Name" is invalid/],
    ['HMAC id_token algorithm', { providers: { corp: { type: 'oidc', issuer: 'https://sso.example.test', clientId: 'c', clientSecret: 's', idTokenAlgorithms: ['HS256'] } } }, /"HS256" is not allowed/],
    ['authorization param overriding state', { providers: { corp: { type: 'oidc', issuer: 'https://sso.example.test', clientId: 'c', clientSecret: 's', authorizationParams: { state: 'x' } } } }, /state is set by the plugin/],
    ['no resolveUser', { resolveUser: undefined }, /resolveUser is missing/],
    ['no jwt secret', { jwt: undefined }, /jwt\.secret is missing/],
    ['short jwt secret', { jwt: { secret: 'short' } }, /at least 32 bytes/],
    ['negative state TTL', { stateTtlSeconds: -1 }, /stateTtlSeconds must be a positive number/],
    ['state TTL over a day', { stateTtlSeconds: 1e306 }, /stateTtlSeconds must be at most 86400/],
    ['state store without take', { stateStore: { save: async () => {} } }, /stateStore must implement/]
  ]

  for (const [name, override, message] of invalidOptions) {
    it(`registration fails: ${name}`, async () => {
      const app = Fastify()
      const options = {
        redirectUris: [REDIRECT_URI],
        providers: { corp: { type: 'oidc', issuer: 'https://sso.example.test', clientId: 'c', clientSecret: 's' } },
        resolveUser: async () => ({ id: 1 }),
        jwt: { secret: JWT_SECRET },
        ...override
      }
      await assert.rejects(async () => {
        await app.register(socialAuth, options as never)
        await app.ready()
      }, (error: Error & { code?: string }) => {
        assert.match(error.message, message)
        assert.equal(error.code, 'FST_SOCIAL_AUTH_OPTIONS')
        return true
      })
      await app.close()
    })
  }

  it('provider redirect URI list replaces the global one', async () => {
    const oidc = await startOidcServer({ redirectUris: [REDIRECT_URI] })
    const testApp = await buildApp({
      redirectUris: [HTTPS_REDIRECT_URI],
      providers: {
        local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret, redirectUris: [REDIRECT_URI] },
        global: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
      }
    })
    try {
      assert.equal((await testApp.begin('local', REDIRECT_URI)).statusCode, 200)
      assert.equal((await testApp.begin('local', HTTPS_REDIRECT_URI)).statusCode, 400)
      assert.equal((await testApp.begin('global', HTTPS_REDIRECT_URI)).statusCode, 200)
      assert.equal((await testApp.begin('global', REDIRECT_URI)).statusCode, 400)
    } finally {
      await testApp.app.close()
      await oidc.close()
    }
  })
})
