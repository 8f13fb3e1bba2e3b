import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { base64url } from 'jose'
import { buildApp, type TestApp } from './support/app.js'
import { StubProvider } from './support/stub-provider.js'

const INVALID_ID_TOKEN = { non_field_errors: ['The identity token from the provider is invalid. Sign in again.'] }
const PROVIDER_FAILED = { detail: 'The sign-in provider failed to respond correctly. Try again later.' }

describe('id_token verification', () => {
  const stub = new StubProvider()
  let testApp: TestApp

  before(async () => {
    await stub.start()
    testApp = await buildApp({
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } },
      clockToleranceSeconds: 60
    })
  })

  after(async () => {
    await testApp.app.close()
    await stub.close()
  })

  beforeEach(() => {
    stub.tokenRequests.length = 0
    stub.userinfoHandler = () => ({ sub: 'stub-user-1', email: 'stub@example.test', email_verified: true })
  })

  /** Starts a sign-in and returns its state and the nonce the provider must echo. */
  async function begin (): Promise<{ state: string, nonce: string }> {
    const response = await testApp.begin('stub')
    assert.equal(response.statusCode, 200, response.body)
    const url = new URL(response.json().authorization_url)
    return { state: url.searchParams.get('state') ?? '', nonce: url.searchParams.get('nonce') ?? '' }
  }

  /** Completes a sign-in whose token endpoint returns the given id_token. */
  async function complete (state: string, idToken: string): Promise<{ status: number, body: unknown, reason: string }> {
    stub.tokenHandler = () => ({ access_token: 'stub-access-token', token_type: 'Bearer', expires_in: 300, id_token: idToken })
    const logCount = testApp.logs.length
    const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'stub-code', state } })
    // The log names why a sign-in failed, so each case can prove it failed for its own reason.
    const logged = testApp.logs.slice(logCount).find((line) => typeof line.reason === 'string')
    return { status: response.statusCode, body: response.json(), reason: String(logged?.reason ?? '') }
  }

  it('valid id_token signs in', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce }))
    assert.equal(result.status, 201, JSON.stringify(result.body))
    assert.equal(stub.tokenRequests[0]?.code, 'stub-code')
  })

  it('code exchange repeats the redirect URI and PKCE verifier', async () => {
    const response = await testApp.begin('stub')
    const url = new URL(response.json().authorization_url)
    const state = url.searchParams.get('state') ?? ''
    const result = await complete(state, await stub.idToken({ nonce: url.searchParams.get('nonce') ?? '' }))
    assert.equal(result.status, 201)

    const tokenRequest = stub.tokenRequests[0]
    assert.ok(tokenRequest)
    assert.equal(tokenRequest.redirectUri, url.searchParams.get('redirect_uri'))
    const { createHash } = await import('node:crypto')
    assert.equal(createHash('sha256').update(tokenRequest.codeVerifier).digest('base64url'), url.searchParams.get('code_challenge'))
    const expectedBasic = `Basic ${Buffer.from(`${stub.clientId}:${stub.clientSecret}`).toString('base64')}`
    assert.equal(tokenRequest.authorization, expectedBasic)
  })

  it('wrong nonce is rejected', async () => {
    const { state } = await begin()
    const result = await complete(state, await stub.idToken({ nonce: 'another-sign-in-nonce' }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /nonce claim does not match/)
  })

  it('missing nonce is rejected', async () => {
    const { state } = await begin()
    const result = await complete(state, await stub.idToken({}))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /nonce claim missing/)
  })

  it('wrong audience is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce, aud: 'another-client' }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /^aud claim "another-client" is not clientId/)
  })

  it('several audiences without azp are rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce, aud: [stub.clientId, 'another-client'] }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /azp claim missing/)
  })

  it('azp naming another client is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce, azp: 'another-client' }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /azp claim names a client that is not accepted/)
  })

  it('wrong issuer is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce, iss: 'https://attacker.example.test' }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /"iss" claim/)
  })

  it('key not in the JWKS is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce }, { key: stub.foreignKey, kid: 'unknown-kid' }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JWKS_NO_MATCHING_KEY/)
  })

  it('signature by another key with a known kid is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce }, { key: stub.foreignKey }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
  })

  it('HMAC id_token keyed with the client secret is rejected', async () => {
    const { state, nonce } = await begin()
    const idToken = await stub.idToken({ nonce }, { key: new TextEncoder().encode(stub.clientSecret), alg: 'HS256' })
    const result = await complete(state, idToken)
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JOSE_ALG_NOT_ALLOWED/)
  })

  it('unsigned id_token with alg none is rejected', async () => {
    const { state, nonce } = await begin()
    const now = Math.floor(Date.now() / 1000)
    const header = base64url.encode(JSON.stringify({ alg: 'none' }))
    const payload = base64url.encode(JSON.stringify({ iss: stub.issuer, aud: stub.clientId, sub: 'stub-user-1', iat: now, exp: now + 300, nonce }))
    const result = await complete(state, `${header}.${payload}.`)
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JOSE_ALG_NOT_ALLOWED/)
  })

  it('expired id_token is rejected', async () => {
    const { state, nonce } = await begin()
    const now = Math.floor(Date.now() / 1000)
    const result = await complete(state, await stub.idToken({ nonce, iat: now - 600, exp: now - 120 }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JWT_EXPIRED/)
  })

  it('id_token expired within the clock tolerance is accepted', async () => {
    const { state, nonce } = await begin()
    const now = Math.floor(Date.now() / 1000)
    const result = await complete(state, await stub.idToken({ nonce, iat: now - 300, exp: now - 30 }))
    assert.equal(result.status, 201, JSON.stringify(result.body))
  })

  it('id_token issued in the future is rejected', async () => {
    const { state, nonce } = await begin()
    const now = Math.floor(Date.now() / 1000)
    const result = await complete(state, await stub.idToken({ nonce, iat: now + 600, exp: now + 900 }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /"iat" claim/)
  })

  it('id_token without sub is rejected', async () => {
    const { state, nonce } = await begin()
    const result = await complete(state, await stub.idToken({ nonce, sub: undefined }))
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /"sub" claim/)
  })

  it('malformed id_token is rejected', async () => {
    const { state } = await begin()
    const result = await complete(state, 'not-a-jwt')
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JWS_INVALID/)
  })

  it('provider error redirects give 400 without a token call', async () => {
    const cases: Array<[string, string]> = [
      ['access_denied', 'Sign-in was cancelled at the provider.'],
      ['server_error', 'Sign-in failed at the provider. Try again.'],
      ['temporarily_unavailable', 'Sign-in failed at the provider. Try again.'],
      ['invalid_scope', 'Sign-in failed at the provider. Try again.']
    ]
    for (const [error, message] of cases) {
      const { state } = await begin()
      const tokenCalls = stub.tokenRequests.length
      const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { state, error, error_description: 'provider words' } })
      assert.equal(response.statusCode, 400, error)
      assert.deepEqual(response.json(), { non_field_errors: [message] })
      assert.equal(stub.tokenRequests.length, tokenCalls, `${error}: no token request`)
      const retry = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { state, code: 'late-code' } })
      assert.deepEqual(retry.json(), { non_field_errors: ['Invalid or expired state. Start the sign-in again.'] }, `${error}: state used up`)
    }
  })

  it('token answer without id_token gives 502', async () => {
    const { state } = await begin()
    stub.tokenHandler = () => ({ access_token: 'stub-access-token', token_type: 'Bearer' })
    const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'stub-code', state } })
    assert.equal(response.statusCode, 502)
    assert.deepEqual(response.json(), PROVIDER_FAILED)
  })

  it('userinfo for another subject gives 502', async () => {
    const { state, nonce } = await begin()
    stub.userinfoHandler = () => ({ sub: 'someone-else', email: 'victim@example.test', email_verified: true })
    const result = await complete(state, await stub.idToken({ nonce }))
    assert.equal(result.status, 502)
    assert.deepEqual(result.body, PROVIDER_FAILED)
    assert.match(result.reason, /userinfo sub differs/)
  })

  it('userinfo failure gives 502', async () => {
    const { state, nonce } = await begin()
    stub.userinfoHandler = (_authorization, reply) => reply.code(500).send('<html>oops</html>')
    const result = await complete(state, await stub.idToken({ nonce }))
    assert.equal(result.status, 502)
    assert.deepEqual(result.body, PROVIDER_FAILED)
    assert.match(result.reason, /userinfo endpoint returned HTTP 500/)
  })

  const tokenFailures: Array<[string, (reply: import('fastify').FastifyReply) => unknown, number, unknown]> = [
    ['invalid_client', (reply) => reply.code(401).send({ error: 'invalid_client' }), 502, PROVIDER_FAILED],
    ['invalid_grant', (reply) => reply.code(400).send({ error: 'invalid_grant', error_description: 'code expired' }), 400, { non_field_errors: ['The authorization code is invalid or expired. Sign in again.'] }],
    ['bad_verification_code inside HTTP 200', () => ({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }), 400, { non_field_errors: ['The authorization code is invalid or expired. Sign in again.'] }],
    ['unknown error inside HTTP 200', () => ({ error: 'server_busy' }), 502, PROVIDER_FAILED],
    ['HTTP 500 with HTML', (reply) => reply.code(500).type('text/html').send('<html>down</html>'), 502, PROVIDER_FAILED],
    ['HTTP 200 with HTML', (reply) => reply.type('text/html').send('<html>login</html>'), 502, PROVIDER_FAILED],
    ['empty body', (reply) => reply.code(200).type('application/json').send(''), 502, PROVIDER_FAILED],
    ['JSON array', () => [1, 2, 3], 502, PROVIDER_FAILED],
    ['no access_token', () => ({ token_type: 'Bearer' }), 502, PROVIDER_FAILED]
  ]

  for (const [name, handler, status, body] of tokenFailures) {
    it(`token endpoint ${name} gives ${status}`, async () => {
      const { state } = await begin()
      stub.tokenHandler = (_request, reply) => handler(reply)
      const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'stub-code', state } })
      assert.equal(response.statusCode, status, response.body)
      assert.deepEqual(response.json(), body)
    })
  }
})
