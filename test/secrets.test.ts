import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { FastifyReply } from 'fastify'
import { buildApp, JWT_SECRET, REDIRECT_URI, type TestApp } from './support/app.js'
import { StubProvider, type TokenRequest } from './support/stub-provider.js'

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** One sign-in scenario: how the stub's token and userinfo endpoints behave, and what the POST sends. */
interface Scenario {
  name: string
  token: (request: TokenRequest, reply: FastifyReply, secrets: Secrets) => unknown
  userinfo?: (reply: FastifyReply) => unknown
  body?: (state: string, secrets: Secrets) => Record<string, string>
  /** Start the sign-in with this binding challenge. */
  challenge?: string
}

interface Secrets {
  code: string
  accessToken: string
  refreshToken: string
  idToken: string
}

// The verifier of a challenge that no state carries: the binding check fails without echoing it.
const bindingVerifier = randomBytes(32).toString('base64url')

describe('no secret in logs or error bodies', () => {
  const stub = new StubProvider()
  let testApp: TestApp
  const responses: Array<{ scenario: string, status: number, body: string }> = []
  const knownSecrets = new Map<string, string>()

  before(async () => {
    await stub.start()
    testApp = await buildApp({
      providerTimeoutMs: 300,
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } }
    })
  })
  after(async () => {
    await testApp.app.close()
    await stub.close()
  })

  const scenarios: Scenario[] = [
    { name: 'success', token: (_request, _reply, secrets) => ({ access_token: secrets.accessToken, refresh_token: secrets.refreshToken, token_type: 'Bearer', id_token: secrets.idToken }) },
    { name: 'invalid_grant', token: (_request, reply) => reply.code(400).send({ error: 'invalid_grant' }) },
    {
      name: 'invalid_client echoing the request',
      token: (request, reply) => reply.code(401).send({ error: 'invalid_client', error_description: `bad client for code ${request.code} verifier ${request.codeVerifier} auth ${String(request.authorization)}` })
    },
    { name: 'HTML error page', token: (request, reply) => reply.code(500).type('text/html').send(`<html>${request.code} ${request.codeVerifier}</html>`) },
    { name: 'error inside HTTP 200', token: (request) => ({ error: 'bad_verification_code', error_description: request.code }) },
    {
      name: 'userinfo failure',
      token: (_request, _reply, secrets) => ({ access_token: secrets.accessToken, token_type: 'Bearer', id_token: secrets.idToken }),
      userinfo: (reply) => reply.code(500).send({ error: 'boom' })
    },
    {
      name: 'timeout',
      token: async (_request, _reply, secrets) => {
        await sleep(600)
        return { access_token: secrets.accessToken }
      }
    },
    { name: 'access_denied', token: () => ({}), body: (state) => ({ state, error: 'access_denied', error_description: 'user said no' }) },
    { name: 'iss mismatch', token: () => ({}), body: (state, secrets) => ({ state, code: secrets.code, iss: 'https://attacker.example.test' }) },
    {
      name: 'binding verifier mismatch',
      token: () => ({}),
      challenge: 'A'.repeat(43),
      body: (state, secrets) => ({ state, code: secrets.code, binding_verifier: bindingVerifier })
    }
  ]

  for (const scenario of scenarios) {
    it(`scenario leaks nothing: ${scenario.name}`, async () => {
      const begin = await testApp.app.inject({
        url: '/o/stub/',
        query: scenario.challenge === undefined ? { redirect_uri: REDIRECT_URI } : { redirect_uri: REDIRECT_URI, binding_challenge: scenario.challenge }
      })
      const url = new URL(begin.json().authorization_url)
      const state = url.searchParams.get('state') ?? ''
      const secrets: Secrets = {
        code: `code-${randomBytes(12).toString('hex')}`,
        accessToken: `access-${randomBytes(12).toString('hex')}`,
        refreshToken: `refresh-${randomBytes(12).toString('hex')}`,
        idToken: await stub.idToken({ nonce: url.searchParams.get('nonce') ?? '' })
      }
      stub.tokenHandler = (request, reply) => scenario.token(request, reply, secrets)
      stub.userinfoHandler = (_authorization, reply) => scenario.userinfo?.(reply) ?? { sub: 'stub-user-1' }
      const payload = scenario.body?.(state, secrets) ?? { code: secrets.code, state }
      const response = await testApp.app.inject({ method: 'POST', url: '/o/stub/', payload })
      // Let a late provider response arrive, so whatever it causes is logged before the check.
      await sleep(scenario.name === 'timeout' ? 400 : 0)

      responses.push({ scenario: scenario.name, status: response.statusCode, body: response.body })
      assert.notEqual(response.statusCode, 500, response.body)
      const verifier = stub.tokenRequests.at(-1)?.codeVerifier
      knownSecrets.set(`${scenario.name}: code`, secrets.code)
      knownSecrets.set(`${scenario.name}: state`, state)
      knownSecrets.set(`${scenario.name}: access token`, secrets.accessToken)
      knownSecrets.set(`${scenario.name}: refresh token`, secrets.refreshToken)
      knownSecrets.set(`${scenario.name}: id token`, secrets.idToken)
      if (verifier !== undefined && verifier !== '') knownSecrets.set(`${scenario.name}: PKCE verifier`, verifier)
      if (scenario.name === 'success') {
        assert.equal(response.statusCode, 201)
        knownSecrets.set('issued token', response.json().token)
      } else {
        assert.ok([400, 502].includes(response.statusCode), `${scenario.name}: ${response.statusCode}`)
      }
    })
  }

  it('logs and error bodies hold none of the secrets', () => {
    knownSecrets.set('client secret', stub.clientSecret)
    knownSecrets.set('client secret in basic auth', Buffer.from(`${stub.clientId}:${stub.clientSecret}`).toString('base64'))
    knownSecrets.set('jwt secret', JWT_SECRET)
    knownSecrets.set('binding verifier', bindingVerifier)
    const logs = JSON.stringify(testApp.logs)
    const errorBodies = responses.filter((response) => response.status >= 400).map((response) => response.body).join('\n')
    assert.ok(knownSecrets.size > 40, `collected ${knownSecrets.size} secrets`)
    for (const [name, secret] of knownSecrets) {
      assert.ok(!logs.includes(secret), `${name} appears in the logs`)
      assert.ok(!errorBodies.includes(secret), `${name} appears in an error body`)
    }
    assert.ok(testApp.logs.some((line) => line.code === 'PROVIDER_REJECTED_CLIENT'), 'the operator still learns what failed')
  })
})
