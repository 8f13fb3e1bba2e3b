import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ProviderError, ProviderNotFoundError, SignInError } from '../lib/index.js'
import { buildApp, type TestApp } from './support/app.js'
import { emulatedEndpoints, ProviderEmulator } from './support/provider-emulator.js'

const CLIENT_ID = 'tokens-client'
const CLIENT_SECRET = 'tokens-client-secret-0123456789'
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`

describe('provider tokens after sign-in', () => {
  const emulator = new ProviderEmulator()
  let testApp: TestApp

  before(async () => {
    await emulator.start()
    testApp = await buildApp({
      providers: {
        discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: { ...emulatedEndpoints(emulator), revocationEndpoint: `${emulator.url}/revoke` } },
        reddit: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: emulatedEndpoints(emulator) }
      }
    })
  })
  after(async () => {
    await testApp.app.close()
    await emulator.close()
  })
  beforeEach(() => { emulator.reset() })

  it('refresh returns new tokens and keeps a refresh token the provider omits', async () => {
    emulator.route('POST /token', () => ({ access_token: 'new-access', token_type: 'Bearer', expires_in: 600 }))
    const tokens = await testApp.app.socialAuth.refreshProviderToken('discord', 'old-refresh')
    assert.equal(tokens.accessToken, 'new-access')
    assert.equal(tokens.refreshToken, 'old-refresh')
    assert.ok(tokens.expiresAt instanceof Date)
    const request = emulator.last('POST /token')
    assert.deepEqual(request?.body, { grant_type: 'refresh_token', refresh_token: 'old-refresh', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
  })

  it('refresh takes a rotated refresh token', async () => {
    emulator.route('POST /token', () => ({ access_token: 'new-access', refresh_token: 'rotated-refresh', token_type: 'Bearer' }))
    const tokens = await testApp.app.socialAuth.refreshProviderToken('discord', 'old-refresh')
    assert.equal(tokens.refreshToken, 'rotated-refresh')
  })

  it('rejected refresh token is a coded sign-in error', async () => {
    emulator.route('POST /token', (_request, reply) => reply.code(400).send({ error: 'invalid_grant' }))
    await assert.rejects(testApp.app.socialAuth.refreshProviderToken('discord', 'revoked-refresh'), (error: SignInError) => {
      assert.ok(error instanceof SignInError)
      assert.equal(error.code, 'REFRESH_REJECTED')
      return true
    })
  })

  it('refresh failures follow the provider error taxonomy', async () => {
    emulator.route('POST /token', (_request, reply) => reply.code(401).send({ error: 'invalid_client' }))
    await assert.rejects(testApp.app.socialAuth.refreshProviderToken('discord', 'r'), (error: ProviderError) => {
      assert.ok(error instanceof ProviderError)
      assert.equal(error.code, 'PROVIDER_REJECTED_CLIENT')
      return true
    })
    await assert.rejects(testApp.app.socialAuth.refreshProviderToken('nope', 'r'), ProviderNotFoundError)
  })

  it('revoke posts the token to the RFC 7009 endpoint', async () => {
    emulator.route('POST /revoke', () => ({}))
    await testApp.app.socialAuth.revokeProviderToken('discord', 'access-to-revoke', 'access_token')
    const request = emulator.last('POST /revoke')
    assert.deepEqual(request?.body, { token: 'access-to-revoke', token_type_hint: 'access_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
  })

  it('revoke with basic authentication and a failing endpoint', async () => {
    const basicApp = await buildApp({
      providers: { discord: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenEndpointAuthMethod: 'client_secret_basic', endpoints: { ...emulatedEndpoints(emulator), revocationEndpoint: `${emulator.url}/revoke` } } }
    })
    try {
      emulator.route('POST /revoke', () => ({}))
      await basicApp.app.socialAuth.revokeProviderToken('discord', 'refresh-to-revoke')
      assert.equal(emulator.last('POST /revoke')?.headers.authorization, BASIC)
      assert.deepEqual(emulator.last('POST /revoke')?.body, { token: 'refresh-to-revoke' })

      emulator.route('POST /revoke', (_request, reply) => reply.code(503).send('busy'))
      await assert.rejects(basicApp.app.socialAuth.revokeProviderToken('discord', 't'), (error: ProviderError) => {
        assert.equal(error.code, 'PROVIDER_BAD_RESPONSE')
        return true
      })
    } finally {
      await basicApp.app.close()
    }
  })

  it('revoke without an endpoint is unsupported', async () => {
    await assert.rejects(testApp.app.socialAuth.revokeProviderToken('reddit', 't'), (error: ProviderError) => {
      assert.equal(error.code, 'REVOCATION_UNSUPPORTED')
      return true
    })
  })
})
