import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import Fastify from 'fastify'
import socialAuth, { type Identity } from '../lib/index.js'
import { ALIASES } from '../lib/providers/presets/index.js'
import { buildApp, JWT_SECRET, REDIRECT_URI, type TestApp } from './support/app.js'
import { emulatedEndpoints, ProviderEmulator } from './support/provider-emulator.js'

const CLIENT_ID = 'preset-client'
const CLIENT_SECRET = 'preset-client-secret-0123456789'
const CODE_REJECTED = { non_field_errors: ['The authorization code is invalid or expired. Sign in again.'] }
const INVALID_ID_TOKEN = { non_field_errors: ['The identity token from the provider is invalid. Sign in again.'] }
const PROVIDER_FAILED = { detail: 'The sign-in provider failed to respond correctly. Try again later.' }
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OTHER_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a'

describe('preset edge cases', () => {
  const emulator = new ProviderEmulator()
  const identities: Identity[] = []

  before(async () => { await emulator.start() })
  after(async () => { await emulator.close() })
  beforeEach(() => {
    emulator.reset()
    identities.length = 0
  })

  async function appWith (providers: Record<string, Record<string, unknown>>): Promise<TestApp> {
    const withCredentials = Object.fromEntries(Object.entries(providers).map(([name, options]) =>
      [name, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options }]))
    return await buildApp({
      providers: withCredentials as never,
      resolveUser: async (identity) => {
        identities.push(identity)
        return { id: identity.uid }
      }
    })
  }

  /** Runs GET on one URL name and POST on another, and returns the POST's response. */
  async function signIn (testApp: TestApp, beginName: string, completeName = beginName, routes?: (nonce: string | null) => Promise<void> | void): Promise<{ status: number, body: unknown }> {
    const begin = await testApp.begin(beginName)
    assert.equal(begin.statusCode, 200, begin.body)
    const url = new URL(begin.json().authorization_url)
    await routes?.(url.searchParams.get('nonce'))
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/o/${completeName}/`,
      payload: { code: 'emulator-code', state: url.searchParams.get('state') }
    })
    return { status: response.statusCode, body: response.json() }
  }

  describe('provider error answers', () => {
    it('github bad_verification_code with HTTP 200 gives 400', async () => {
      const testApp = await appWith({ github: { baseUrl: emulator.url } })
      emulator.route('POST /login/oauth/access_token', () => ({
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri: 'https://docs.github.example/apps/troubleshooting'
      }))
      try {
        const result = await signIn(testApp, 'github')
        assert.equal(result.status, 400)
        assert.deepEqual(result.body, CODE_REJECTED)
        assert.equal(emulator.last('GET /api/v3/user'), undefined, 'no profile request after a rejected code')
      } finally {
        await testApp.app.close()
      }
    })

    it('slack invalid_code inside ok false gives 400', async () => {
      const testApp = await appWith({ slack: { endpoints: emulatedEndpoints(emulator) } })
      emulator.route('POST /token', () => ({ ok: false, error: 'invalid_code' }))
      try {
        const result = await signIn(testApp, 'slack')
        assert.equal(result.status, 400)
        assert.deepEqual(result.body, CODE_REJECTED)
      } finally {
        await testApp.app.close()
      }
    })

    it('facebook error object from the Graph API gives 502', async () => {
      const testApp = await appWith({ facebook: { endpoints: emulatedEndpoints(emulator) } })
      emulator.route('POST /token', () => ({ access_token: 'fb-token', token_type: 'bearer', expires_in: 5183944 }))
      emulator.route('GET /me', (_request, reply) => reply.code(400).send({
        error: { message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: 'A1b2C3' }
      }))
      try {
        const result = await signIn(testApp, 'facebook')
        assert.equal(result.status, 502)
        assert.deepEqual(result.body, PROVIDER_FAILED)
        assert.ok(!JSON.stringify(result.body).includes('OAuthException'), 'the provider answer is not echoed')
      } finally {
        await testApp.app.close()
      }
    })

    it('facebook error object from the token endpoint gives 502', async () => {
      const testApp = await appWith({ facebook: { endpoints: emulatedEndpoints(emulator) } })
      emulator.route('POST /token', (_request, reply) => reply.code(400).send({
        error: { message: 'Invalid verification code format.', type: 'OAuthException', code: 100, fbtrace_id: 'D4e5F6' }
      }))
      try {
        const result = await signIn(testApp, 'facebook')
        assert.equal(result.status, 502)
        assert.deepEqual(result.body, PROVIDER_FAILED)
      } finally {
        await testApp.app.close()
      }
    })

    it('vkontakte API error with HTTP 200 gives 502', async () => {
      const testApp = await appWith({ vkontakte: { endpoints: emulatedEndpoints(emulator) } })
      emulator.route('POST /token', () => ({ access_token: 'vk-token', expires_in: 86400, user_id: 1 }))
      emulator.route('GET /users.get', () => ({ error: { error_code: 5, error_msg: 'User authorization failed: invalid access_token (4).' } }))
      try {
        const result = await signIn(testApp, 'vkontakte')
        assert.equal(result.status, 502)
        assert.deepEqual(result.body, PROVIDER_FAILED)
      } finally {
        await testApp.app.close()
      }
    })
  })

  describe('microsoft issuers', () => {
    async function microsoftSignIn (tenant: string, claims: Record<string, unknown>): Promise<{ status: number, body: unknown }> {
      const testApp = await appWith({ microsoft: { tenant, authority: emulator.url, endpoints: { userinfoEndpoint: `${emulator.url}/userinfo` } } })
      emulator.route(`GET /${tenant}/discovery/v2.0/keys`, () => emulator.jwks())
      try {
        return await signIn(testApp, 'microsoft', 'microsoft', async (nonce) => {
          const idToken = await emulator.idToken({ aud: CLIENT_ID, sub: 'ms-user', nonce: nonce ?? undefined, ...claims })
          emulator.route(`POST /${tenant}/oauth2/v2.0/token`, () => ({ access_token: 'ms-token', token_type: 'Bearer', id_token: idToken }))
          emulator.route('GET /userinfo', () => ({ sub: 'ms-user' }))
        })
      } finally {
        await testApp.app.close()
      }
    }

    it('common accepts the issuer of the token tenant', async () => {
      const result = await microsoftSignIn('common', { iss: `${emulator.url}/${TENANT_ID}/v2.0`, tid: TENANT_ID })
      assert.equal(result.status, 201, JSON.stringify(result.body))
    })

    it('common rejects an issuer naming another tenant than tid', async () => {
      const result = await microsoftSignIn('common', { iss: `${emulator.url}/${OTHER_TENANT_ID}/v2.0`, tid: TENANT_ID })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
    })

    it('common rejects a tid that is not a tenant id', async () => {
      const result = await microsoftSignIn('common', { iss: `${emulator.url}/attacker.example/v2.0`, tid: 'attacker.example' })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
    })

    it('common rejects an issuer on another host', async () => {
      const result = await microsoftSignIn('common', { iss: `https://login.attacker.example/${TENANT_ID}/v2.0`, tid: TENANT_ID })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
    })

    it('organizations and consumers accept their users tenants', async () => {
      for (const tenant of ['organizations', 'consumers']) {
        const result = await microsoftSignIn(tenant, { iss: `${emulator.url}/${TENANT_ID}/v2.0`, tid: TENANT_ID })
        assert.equal(result.status, 201, `${tenant}: ${JSON.stringify(result.body)}`)
      }
    })

    it('a tenant domain resolves its issuer through metadata', async () => {
      emulator.route('GET /contoso.example/v2.0/.well-known/openid-configuration', () => ({ issuer: `${emulator.url}/${TENANT_ID}/v2.0` }))
      const own = await microsoftSignIn('contoso.example', { iss: `${emulator.url}/${TENANT_ID}/v2.0`, tid: TENANT_ID })
      assert.equal(own.status, 201, JSON.stringify(own.body))
      const other = await microsoftSignIn('contoso.example', { iss: `${emulator.url}/${OTHER_TENANT_ID}/v2.0`, tid: OTHER_TENANT_ID })
      assert.equal(other.status, 400)
      assert.deepEqual(other.body, INVALID_ID_TOKEN)
    })

    it('xms_edov vouches only for the id_token email', async () => {
      const testApp = await appWith({ microsoft: { authority: emulator.url, endpoints: { userinfoEndpoint: `${emulator.url}/userinfo` } } })
      emulator.route('GET /common/discovery/v2.0/keys', () => emulator.jwks())
      try {
        const cases: Array<[Record<string, unknown>, Record<string, unknown>, boolean]> = [
          [{ email: 'me@own.example', xms_edov: true }, { email: 'me@own.example' }, true],
          [{ email: 'me@own.example', xms_edov: true }, { email: 'ceo@victim.example' }, false],
          [{ xms_edov: true }, { email: 'ceo@victim.example' }, false],
          [{ email: 'me@own.example' }, {}, false]
        ]
        for (const [claims, userinfo, verified] of cases) {
          identities.length = 0
          const result = await signIn(testApp, 'microsoft', 'microsoft', async (nonce) => {
            const idToken = await emulator.idToken({ iss: `${emulator.url}/${TENANT_ID}/v2.0`, tid: TENANT_ID, aud: CLIENT_ID, sub: 'ms-user', nonce: nonce ?? undefined, ...claims })
            emulator.route('POST /common/oauth2/v2.0/token', () => ({ access_token: 'ms-token', token_type: 'Bearer', id_token: idToken }))
            emulator.route('GET /userinfo', () => ({ sub: 'ms-user', ...userinfo }))
          })
          assert.equal(result.status, 201)
          assert.equal(identities[0]?.emailVerified, verified, JSON.stringify([claims, userinfo]))
        }
      } finally {
        await testApp.app.close()
      }
    })

    it('a single tenant accepts only its own issuer', async () => {
      const own = await microsoftSignIn(TENANT_ID, { iss: `${emulator.url}/${TENANT_ID}/v2.0`, tid: TENANT_ID })
      assert.equal(own.status, 201, JSON.stringify(own.body))
      const other = await microsoftSignIn(TENANT_ID, { iss: `${emulator.url}/${OTHER_TENANT_ID}/v2.0`, tid: OTHER_TENANT_ID })
      assert.equal(other.status, 400)
      assert.deepEqual(other.body, INVALID_ID_TOKEN)
    })
  })

  describe('python-social-auth aliases', () => {
    function googleRoutes (nonce: string | null): Promise<void> {
      return (async () => {
        const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, sub: 'g-1', nonce: nonce ?? undefined, email: 'g@example.test', email_verified: true })
        emulator.route('POST /token', () => ({ access_token: 'g-token', token_type: 'Bearer', id_token: idToken }))
        emulator.route('GET /userinfo', () => ({ sub: 'g-1' }))
      })()
    }

    it('alias answers GET and POST for a preset configured by id', async () => {
      const testApp = await appWith({ google: { endpoints: emulatedEndpoints(emulator) } })
      try {
        const viaAlias = await signIn(testApp, 'google-oauth2', 'google-oauth2', googleRoutes)
        assert.equal(viaAlias.status, 201, JSON.stringify(viaAlias.body))
        const mixed = await signIn(testApp, 'google-oauth2', 'google', googleRoutes)
        assert.equal(mixed.status, 201, JSON.stringify(mixed.body))
        assert.deepEqual(identities.map((identity) => identity.provider), ['google', 'google'])
      } finally {
        await testApp.app.close()
      }
    })

    it('preset configured under its alias answers under its id too', async () => {
      const testApp = await appWith({ 'google-oauth2': { endpoints: emulatedEndpoints(emulator) } })
      try {
        const result = await signIn(testApp, 'google', 'google-oauth2', googleRoutes)
        assert.equal(result.status, 201, JSON.stringify(result.body))
        assert.equal(identities[0]?.provider, 'google-oauth2')
        assert.ok(testApp.app.socialAuth.providers.includes('google'))
      } finally {
        await testApp.app.close()
      }
    })

    it('every alias resolves to its preset', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      assert.ok(ALIASES.size >= 12, `${ALIASES.size} aliases`)
      for (const [alias, preset] of ALIASES) {
        const extra = preset === 'apple' ? { clientSecret: undefined, teamId: 'T', keyId: 'K', privateKey: pem } : {}
        const testApp = await appWith({ [alias]: { endpoints: emulatedEndpoints(emulator), ...extra } })
        try {
          const begin = await testApp.begin(preset)
          assert.equal(begin.statusCode, 200, `${alias}: ${begin.body}`)
          assert.ok(testApp.app.socialAuth.providers.includes(alias))
        } finally {
          await testApp.app.close()
        }
      }
    })

    it('two entries of one preset get no aliases', async () => {
      const testApp = await appWith({
        'ms-corp': { type: 'microsoft', tenant: TENANT_ID },
        'ms-partner': { type: 'microsoft', tenant: OTHER_TENANT_ID }
      })
      try {
        assert.deepEqual([...testApp.app.socialAuth.providers].sort(), ['ms-corp', 'ms-partner'])
        const url = new URL((await testApp.begin('ms-partner')).json().authorization_url)
        assert.equal(url.pathname, `/${OTHER_TENANT_ID}/oauth2/v2.0/authorize`)
      } finally {
        await testApp.app.close()
      }
    })
  })

  describe('apple client secret', () => {
    it('is reused until it nears expiry', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      const testApp = await appWith({
        apple: { clientSecret: undefined, teamId: 'TEAM', keyId: 'KEY', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), endpoints: emulatedEndpoints(emulator) }
      })
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          const result = await signIn(testApp, 'apple', 'apple', async (nonce) => {
            const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, sub: 'a-1', nonce: nonce ?? undefined })
            emulator.route('POST /token', () => ({ access_token: 'a-token', token_type: 'Bearer', id_token: idToken }))
          })
          assert.equal(result.status, 201, JSON.stringify(result.body))
        }
        const secrets = emulator.requests.filter((request) => request.path === '/token').map((request) => (request.body as Record<string, string>).client_secret)
        assert.equal(secrets.length, 2)
        assert.equal(secrets[0], secrets[1])
      } finally {
        await testApp.app.close()
      }
    })
  })

  describe('preset options', () => {
    const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
      ['option of another preset', { github: { tenant: 'common' } }, /providers\.github\.tenant is not a known option here/],
      ['misspelt common option', { google: { scopes: ['email'] } }, /providers\.google\.scopes is not a known option/],
      ['microsoft tenant with a slash', { microsoft: { tenant: 'common/../x' } }, /providers\.microsoft\.tenant must be/],
      ['github baseUrl over http', { github: { baseUrl: 'http://github.example.test' } }, /providers\.github\.baseUrl must be an https URL/],
      ['apple without team id', { apple: { clientSecret: undefined, keyId: 'K', privateKey: 'x' } }, /providers\.apple\.teamId is missing/],
      ['apple key that is not PEM', { apple: { clientSecret: undefined, teamId: 'T', keyId: 'K', privateKey: 'not a key' } }, /providers\.apple\.privateKey is not a PEM private key/],
      ['apple RSA key', { apple: { clientSecret: undefined, teamId: 'T', keyId: 'K', privateKey: rsaKey.export({ type: 'pkcs8', format: 'pem' }).toString() } }, /P-256/],
      ['facebook graph version', { facebook: { graphApiVersion: '23' } }, /graphApiVersion must look like/],
      ['client secret with a newline', { google: { clientSecret: 'secret\n' } }, /providers\.google\.clientSecret contains whitespace/],
      ['endpoint override that is not an endpoint', { google: { endpoints: { tokenUrl: 'https://x.example.test' } } }, /tokenUrl is not an endpoint/],
      ['oauth2 without profile mapping', { legacy: { type: 'oauth2', authorizationEndpoint: 'https://a.example.test/authorize', tokenEndpoint: 'https://a.example.test/token' } }, /needs userinfoEndpoint and mapProfile, or fetchProfile/],
      ['unknown preset name', { myspace: {} }, /type "myspace" is not supported/],
      ['endpoint with a fragment', { google: { endpoints: { authorizationEndpoint: 'https://a.example.test/authorize#x' } } }, /must not contain a fragment/],
      ['authorization parameter with a lone surrogate', { google: { authorizationParams: { login_hint: '\ud800' } } }, /must be a well-formed string/]
    ]

    for (const [name, providers, message] of invalid) {
      it(`registration fails: ${name}`, async () => {
        const app = Fastify()
        const withCredentials = Object.fromEntries(Object.entries(providers).map(([key, options]) =>
          [key, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...(options as Record<string, unknown>) }]))
        await assert.rejects(async () => {
          await app.register(socialAuth, { redirectUris: [REDIRECT_URI], providers: withCredentials as never, resolveUser: () => ({ id: 1 }), jwt: { secret: JWT_SECRET } })
          await app.ready()
        }, (error: Error) => {
          assert.match(error.message, message)
          return true
        })
        await app.close()
      })
    }
  })
})
