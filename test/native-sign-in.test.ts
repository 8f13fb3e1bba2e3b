import assert from 'node:assert/strict'
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import Fastify from 'fastify'
import type { Redis } from 'ioredis'
import { decodeJwt, exportJWK, generateKeyPair } from 'jose'
import socialAuth, {
  MemoryStateStore, RedisStateStore, SocialAuthOptionsError, StoreKeyExistsError, StoreUnavailableError, type Identity, type StateStore
} from '../lib/index.js'
import { signInAsNativeApp } from '../examples/native/app.js'
import { startOidcServer, type OidcServer } from '../examples/demo/local-provider.js'
import { buildApp, REDIRECT_URI, type TestApp } from './support/app.js'
import { emulatedEndpoints, ProviderEmulator } from './support/provider-emulator.js'
import { connectRedis, deleteKeys, testKeyPrefix } from './support/redis.js'
import { StubProvider } from './support/stub-provider.js'

/** SHA-256 of the raw nonce `n`, in hex: what an app passes to the SDK by default. */
const N_HASH = createHash('sha256').update('n').digest('hex')
const INVALID_ID_TOKEN = { non_field_errors: ['The identity token from the provider is invalid. Sign in again.'] }
const REPLAYED = { non_field_errors: ['This identity token was used before. Sign in again in the app.'] }
const IOS_CLIENT_ID = 'native-test-ios'
const ANDROID_CLIENT_ID = 'native-test-android'
const UNLISTED_CLIENT_ID = 'native-test-unlisted'

/** Store key of a used id_token's mark: the SHA-256 of the token's signed part, so tests can read its TTL. */
function replayMarkKey (idToken: string): string {
  return `id_token:${createHash('sha256').update(idToken.slice(0, idToken.lastIndexOf('.'))).digest('base64url')}`
}

interface PostResult {
  status: number
  body: Record<string, unknown>
  /** The reason the plugin logged for a rejected sign-in, so each case proves its own cause. */
  reason: string
}

async function post (testApp: TestApp, provider: string, payload: Record<string, unknown>): Promise<PostResult> {
  const logCount = testApp.logs.length
  const response = await testApp.app.inject({ method: 'POST', url: `/o/${provider}/`, payload })
  const logged = testApp.logs.slice(logCount).find((line) => typeof line.reason === 'string')
  return { status: response.statusCode, body: response.json(), reason: String(logged?.reason ?? '') }
}

for (const storeKind of ['memory', 'redis'] as const) {
  describe(`id_token sign-in against oidc-provider with ${storeKind} store`, () => {
    let oidc: OidcServer
    let testApp: TestApp
    let redis: Redis | null = null
    const keyPrefix = testKeyPrefix('native')
    const identities: Identity[] = []

    function newStore (): StateStore {
      return redis === null ? new MemoryStateStore() : new RedisStateStore(redis, { keyPrefix })
    }

    async function appWith (store: StateStore): Promise<TestApp> {
      const local = { type: 'oidc' as const, issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret }
      return await buildApp({
        stateStore: store,
        providers: {
          local: { ...local, allowIdTokenSignIn: true, clientIds: { ios: IOS_CLIENT_ID, android: ANDROID_CLIENT_ID } },
          localraw: { ...local, allowIdTokenSignIn: true, clientIds: { android: ANDROID_CLIENT_ID }, idTokenNonceForm: 'raw' },
          webonly: local
        },
        resolveUser: async (identity) => {
          identities.push(identity)
          return { id: `${identity.provider}:${identity.uid}`, email: identity.email, username: identity.username }
        }
      })
    }

    before(async () => {
      oidc = await startOidcServer({ redirectUris: [REDIRECT_URI], nativeClientIds: [IOS_CLIENT_ID, ANDROID_CLIENT_ID, UNLISTED_CLIENT_ID], claimsInIdToken: true })
      if (storeKind === 'redis') redis = connectRedis()
      testApp = await appWith(newStore())
    })

    after(async () => {
      await testApp.app.close()
      await oidc.close()
      if (redis !== null) {
        await deleteKeys(redis, keyPrefix)
        await redis.quit()
      }
    })

    beforeEach(() => { identities.length = 0 })

    it('accepts each listed audience', async () => {
      const credentials = [
        { platform: 'ios', ...await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, login: 'ios-user', nonceForm: 'sha256-hex' }) },
        { platform: 'android', ...await signInAsNativeApp({ issuer: oidc.issuer, clientId: ANDROID_CLIENT_ID, login: 'android-user', nonceForm: 'sha256-base64url' }) },
        {
          platform: 'web',
          ...await signInAsNativeApp({
            issuer: oidc.issuer,
            clientId: oidc.clientId,
            login: 'web-user',
            webClient: { clientSecret: oidc.clientSecret, redirectUri: REDIRECT_URI }
          })
        }
      ]
      for (const { platform, idToken, nonce } of credentials) {
        const result = await post(testApp, 'local', { id_token: idToken, nonce })
        assert.equal(result.status, 201, `${platform}: ${JSON.stringify(result.body)}`)
        assert.deepEqual(result.body.user, { id: `local:${platform}-user`, email: `${platform}-user@example.test`, username: `${platform}-user` })
      }
    })

    it('identity comes from the id_token claims', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, login: 'claims-user' })
      assert.equal((await post(testApp, 'local', { id_token: idToken, nonce })).status, 201)
      const identity = identities[0]
      assert.equal(identity?.uid, 'claims-user')
      assert.equal(identity?.email, 'claims-user@example.test')
      assert.equal(identity?.emailVerified, true)
      assert.equal(identity?.firstName, 'Claims-user')
      assert.equal(identity?.raw.aud, IOS_CLIENT_ID)
      assert.deepEqual(identity?.tokens, { accessToken: null, refreshToken: null, expiresAt: null, idToken, scope: null })
    })

    it('rejects an audience that is not listed', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: UNLISTED_CLIENT_ID })
      const result = await post(testApp, 'local', { id_token: idToken, nonce })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
      assert.match(result.reason, /^aud claim "[^"]+" is not clientId, nor in clientIds/)
      assert.equal(identities.length, 0)
    })

    it('rejects a nonce that does not match', async () => {
      const { idToken } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, nonceForm: 'sha256-hex' })
      const result = await post(testApp, 'local', { id_token: idToken, nonce: 'another-raw-nonce' })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
      assert.equal(result.reason, 'nonce claim does not match')
    })

    it('rejects the hash sent as the nonce', async () => {
      // The token carries SHA-256(raw); sending that hash proves nothing, since the token shows it.
      const { idToken } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, nonceForm: 'sha256-hex' })
      const result = await post(testApp, 'local', { id_token: idToken, nonce: String(decodeJwt(idToken).nonce) })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, INVALID_ID_TOKEN)
      assert.match(result.reason, /^nonce sent equals the nonce claim/)
    })

    it('raw nonce form accepts the nonce itself', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: ANDROID_CLIENT_ID, login: 'raw-user', nonceForm: 'raw' })
      const result = await post(testApp, 'localraw', { id_token: idToken, nonce })
      assert.equal(result.status, 201, JSON.stringify(result.body))
      assert.equal(identities[0]?.provider, 'localraw')
    })

    it('requires the nonce by default', async () => {
      const { idToken } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID })
      const result = await post(testApp, 'local', { id_token: idToken })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, { nonce: ['This field is required with id_token.'] })
    })

    it('rejects a replayed id_token', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: ANDROID_CLIENT_ID, login: 'replay-user' })
      assert.equal((await post(testApp, 'local', { id_token: idToken, nonce })).status, 201)
      const replay = await post(testApp, 'local', { id_token: idToken, nonce })
      assert.equal(replay.status, 400)
      assert.deepEqual(replay.body, REPLAYED)
      assert.equal(identities.length, 1)
    })

    it('rejects concurrent uses of one id_token but one', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, login: 'race-user' })
      const results = await Promise.all(Array.from({ length: 8 }, async () => await post(testApp, 'local', { id_token: idToken, nonce })))
      assert.deepEqual(results.map((result) => result.status).sort(), [201, 400, 400, 400, 400, 400, 400, 400])
    })

    it('rejects a replay on another instance sharing the store', { skip: storeKind === 'memory' ? 'a memory store is one instance\'s own' : false }, async () => {
      const second = await appWith(newStore())
      try {
        const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, login: 'cluster-user' })
        assert.equal((await post(testApp, 'local', { id_token: idToken, nonce })).status, 201)
        const replay = await post(second, 'local', { id_token: idToken, nonce })
        assert.equal(replay.status, 400)
        assert.deepEqual(replay.body, REPLAYED)
      } finally {
        await second.app.close()
      }
    })

    it('remembers a used id_token until it expires', { skip: storeKind === 'memory' ? 'the TTL is read from Redis' : false }, async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: IOS_CLIENT_ID, login: 'ttl-user' })
      assert.equal((await post(testApp, 'local', { id_token: idToken, nonce })).status, 201)
      const ttlMs = await (redis as Redis).pttl(keyPrefix + replayMarkKey(idToken))
      const exp = decodeJwt(idToken).exp as number
      // oidc-provider's id_tokens here live 600 seconds. The verifier adds the clock tolerance of 60,
      // and the mark a margin of 60 more for other instances' clocks.
      assert.ok(ttlMs > (exp + 60) * 1000 - Date.now(), `TTL ${ttlMs} ms ends before the verifier stops accepting the token`)
      assert.ok(ttlMs <= (exp + 121) * 1000 - Date.now(), `TTL ${ttlMs} ms outlives exp plus tolerance and margin`)
      assert.equal(await (redis as Redis).exists(`${keyPrefix}${createHash('sha256').update(idToken).digest('base64url')}`), 0, 'no key holds the token itself')
    })

    it('rejects id_token sign-in unless the provider allows it', async () => {
      const { idToken, nonce } = await signInAsNativeApp({ issuer: oidc.issuer, clientId: oidc.clientId, webClient: { clientSecret: oidc.clientSecret, redirectUri: REDIRECT_URI } })
      const result = await post(testApp, 'webonly', { id_token: idToken, nonce })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, { id_token: ['This provider does not accept sign-in with an id_token.'] })
    })
  })
}

describe('id_token sign-in claim checks', () => {
  const stub = new StubProvider()
  let testApp: TestApp
  let noNonceApp: TestApp
  let rawNonceApp: TestApp

  before(async () => {
    await stub.start()
    const provider = stubOptions()
    testApp = await buildApp({ providers: { stub: { ...provider, clientIds: { android: 'stub-android' } } }, clockToleranceSeconds: 60 })
    noNonceApp = await buildApp({ providers: { stub: { ...provider, requireIdTokenNonce: false } }, clockToleranceSeconds: 60 })
    rawNonceApp = await buildApp({ providers: { stub: { ...provider, idTokenNonceForm: 'raw' } }, clockToleranceSeconds: 60 })
  })

  after(async () => {
    await testApp.app.close()
    await noNonceApp.app.close()
    await rawNonceApp.app.close()
    await stub.close()
  })

  const now = (): number => Math.floor(Date.now() / 1000)

  /** Options of an OpenID entry for the stub that accepts id_token sign-in. */
  function stubOptions (): { type: 'oidc', issuer: string, clientId: string, clientSecret: string, allowIdTokenSignIn: true } {
    return { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret, allowIdTokenSignIn: true }
  }

  it('accepts both SHA-256 forms of the nonce', async () => {
    for (const [form, claim] of Object.entries({ hex: N_HASH, base64url: createHash('sha256').update('n').digest('base64url') })) {
      const idToken = await stub.idToken({ nonce: claim, sub: `nonce-${form}` })
      const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
      assert.equal(result.status, 201, `${form}: ${JSON.stringify(result.body)}`)
    }
  })

  it('raw nonce form compares the nonce itself', async () => {
    const idToken = await stub.idToken({ nonce: 'raw-nonce', sub: 'raw-form' })
    assert.equal((await post(rawNonceApp, 'stub', { id_token: idToken, nonce: 'raw-nonce' })).status, 201)
    const hashed = await stub.idToken({ nonce: createHash('sha256').update('raw-nonce').digest('hex') })
    const result = await post(rawNonceApp, 'stub', { id_token: hashed, nonce: 'raw-nonce' })
    assert.equal(result.status, 400)
    assert.equal(result.reason, 'nonce claim is the SHA-256 of the nonce; set idTokenNonceForm: \'sha256\'')
  })

  it('sha256 form rejects the claim sent back as the nonce', async () => {
    // Anyone holding the token reads its nonce claim, so sending that value proves nothing.
    const idToken = await stub.idToken({ nonce: N_HASH })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: N_HASH })
    assert.equal(result.status, 400)
    assert.match(result.reason, /^nonce sent equals the nonce claim/)
  })

  it('rejects an expired id_token', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, iat: now() - 600, exp: now() - 120 })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, INVALID_ID_TOKEN)
    assert.match(result.reason, /ERR_JWT_EXPIRED/)
  })

  it('accepts an exp within the clock tolerance', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'skewed', iat: now() - 300, exp: now() - 30 })
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
  })

  it('rejects an id_token issued over an hour ago', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, iat: now() - 7200, exp: now() + 3600 })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.match(result.reason, /"iat" claim timestamp check failed/)
  })

  it('accepts azp of a listed platform', async () => {
    // Google's Android sign-in: the audience is the web client, azp the Android one.
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'azp-android', aud: stub.clientId, azp: 'stub-android' })
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
  })

  it('rejects azp of an unlisted client', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, aud: stub.clientId, azp: 'someone-else' })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.equal(result.reason, 'azp claim names a client that is not accepted')
  })

  it('rejects several audiences without azp', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, aud: [stub.clientId, 'stub-android'] })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.equal(result.reason, 'azp claim missing from a token with several audiences')
  })

  it('rejects a token from another issuer', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, iss: 'https://attacker.example.test' })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.match(result.reason, /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/)
  })

  it('rejects an HMAC token keyed with the client secret', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH }, { key: new TextEncoder().encode(stub.clientSecret), alg: 'HS256' })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.match(result.reason, /ERR_JOSE_ALG_NOT_ALLOWED/)
  })

  it('rejects a token signed with an unpublished key', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH }, { key: stub.foreignKey })
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.match(result.reason, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
  })

  it('code flow rejects a native audience', async () => {
    // A code exchange returns an id_token for the web client. A token for a native client in its
    // place would be a substitution, so the listed platforms do not count there.
    const begin = await testApp.begin('stub')
    const url = new URL(begin.json().authorization_url)
    const idToken = await stub.idToken({ aud: 'stub-android', nonce: url.searchParams.get('nonce') ?? '' })
    stub.tokenHandler = () => ({ access_token: 'stub-access', token_type: 'Bearer', id_token: idToken })
    stub.userinfoHandler = () => ({ sub: 'stub-user-1' })
    const result = await post(testApp, 'stub', { code: 'stub-code', state: url.searchParams.get('state') })
    assert.equal(result.status, 400)
    assert.match(result.reason, /^aud claim "[^"]+" is not clientId, nor in clientIds/)
  })

  it('rejects a replay with the signature re-encoded', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'reencoded' })
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
    // A 256-byte RSA signature leaves 4 unused bits in its last base64url character, so another
    // character there decodes to the same signature: a different string, the same valid token.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = idToken.at(-1) as string
    const twin = idToken.slice(0, -1) + (alphabet[alphabet.indexOf(last) ^ 1] as string)
    assert.notEqual(twin, idToken)
    assert.deepEqual(Buffer.from(twin.split('.')[2] as string, 'base64url'), Buffer.from(idToken.split('.')[2] as string, 'base64url'))
    const replay = await post(testApp, 'stub', { id_token: twin, nonce: 'n' })
    assert.equal(replay.status, 400, JSON.stringify(replay.body))
    assert.deepEqual(replay.body, REPLAYED)
  })

  it('replay mark lasts at most an hour past iat', async () => {
    const redis = connectRedis()
    const keyPrefix = testKeyPrefix('native-ttl')
    const redisApp = await buildApp({
      stateStore: new RedisStateStore(redis, { keyPrefix }),
      providers: { stub: stubOptions() },
      clockToleranceSeconds: 60
    })
    try {
      // The verifier rejects a token an hour after its iat, so a far exp needs no longer mark.
      const iat = now()
      const idToken = await stub.idToken({ nonce: N_HASH, sub: 'far-exp', iat, exp: iat + 10 * 365 * 24 * 3600 })
      assert.equal((await post(redisApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
      const ttlMs = await redis.pttl(keyPrefix + replayMarkKey(idToken))
      assert.ok(ttlMs > (iat + 3600 + 60) * 1000 - Date.now(), `TTL ${ttlMs} ms ends before the verifier stops accepting the token`)
      assert.ok(ttlMs <= (3600 + 60 + 60 + 1) * 1000, `TTL ${ttlMs} ms lasts past iat plus an hour, tolerance and margin`)
    } finally {
      await redisApp.app.close()
      await deleteKeys(redis, keyPrefix)
      await redis.quit()
    }
  })

  it('store on the old contract makes a replay 503', async () => {
    // A custom store that reports a taken key as unavailable, as stores did before StoreKeyExistsError.
    const memory = new MemoryStateStore()
    const oldContract: StateStore = {
      save: async (key, record, ttlMs) => {
        try {
          await memory.save(key, record, ttlMs)
        } catch (error) {
          if (error instanceof StoreKeyExistsError) throw new StoreUnavailableError('key exists')
          throw error
        }
      },
      take: async (key) => await memory.take(key)
    }
    const oldApp = await buildApp({ stateStore: oldContract, providers: { stub: stubOptions() } })
    try {
      const idToken = await stub.idToken({ nonce: N_HASH, sub: 'old-contract' })
      assert.equal((await post(oldApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
      const replay = await post(oldApp, 'stub', { id_token: idToken, nonce: 'n' })
      assert.equal(replay.status, 503, 'the replay still fails, as unavailable')
    } finally {
      await oldApp.app.close()
    }
  })

  it('rejected id_token leaves no replay mark', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'retry-later' })
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'wrong' })).status, 400)
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
  })

  it('optional nonce: none on either side signs in', async () => {
    const idToken = await stub.idToken({ sub: 'no-nonce' })
    const result = await post(noNonceApp, 'stub', { id_token: idToken })
    assert.equal(result.status, 201, JSON.stringify(result.body))
  })

  it('optional nonce: a token nonce still needs the raw one', async () => {
    const idToken = await stub.idToken({ nonce: createHash('sha256').update('secret-raw').digest('hex') })
    const result = await post(noNonceApp, 'stub', { id_token: idToken })
    assert.equal(result.status, 400)
    assert.equal(result.reason, 'nonce claim present, but the request sent no nonce')
  })

  it('nonce sent for a token without one is rejected', async () => {
    const idToken = await stub.idToken({})
    const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.equal(result.reason, 'nonce claim missing')
  })

  it('malformed POST bodies get field errors', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH })
    const cases: Array<[string, Record<string, unknown>, Record<string, string[]>]> = [
      ['not a JWS', { id_token: 'not-a-jwt', nonce: 'n' }, { id_token: ['Enter a valid value.'] }],
      ['two segments', { id_token: 'a.b', nonce: 'n' }, { id_token: ['Enter a valid value.'] }],
      ['empty id_token', { id_token: '', nonce: 'n' }, { id_token: ['Enter a valid value.'] }],
      ['number id_token', { id_token: 42, nonce: 'n' }, { id_token: ['Not a valid string.'] }],
      ['id_token array', { id_token: [idToken], nonce: 'n' }, { id_token: ['Only one value is allowed.'] }],
      ['too long', { id_token: `${'a'.repeat(5000)}.${'b'.repeat(3000)}.${'c'.repeat(300)}`, nonce: 'n' }, { id_token: ['Ensure this field has no more than 8192 characters.'] }],
      ['control character in nonce', { id_token: idToken, nonce: 'a\u0000b' }, { nonce: ['This field contains characters that are not allowed.'] }],
      ['empty nonce', { id_token: idToken, nonce: '' }, { nonce: ['This field may not be blank.'] }],
      // With a redirect's field the request is a redirect's, whose other fields it must then carry.
      ['with code', { id_token: idToken, nonce: 'n', code: 'c' }, { state: ['This field is required.'] }],
      ['with state', { id_token: idToken, nonce: 'n', state: 's' }, { code: ['This field is required.'] }],
      ['with access_token', { id_token: idToken, nonce: 'n', access_token: 'a' }, { non_field_errors: ['Send id_token or access_token, not both.'] }],
      ['nonce in a code flow is ignored', { code: 'c', state: 's', nonce: 'n' }, { non_field_errors: ['Invalid or expired state. Start the sign-in again.'] }],
      ['nonce with access_token', { access_token: 'a', nonce: 'n' }, { nonce: ['This field is allowed only with id_token.'] }],
      ['nothing at all', {}, { state: ['This field is required.'], code: ['This field is required.'] }]
    ]
    for (const [name, payload, expected] of cases) {
      const result = await post(testApp, 'stub', payload)
      assert.equal(result.status, 400, name)
      assert.deepEqual(result.body, expected, name)
    }
  })

  it('id_token outside a JSON body is rejected', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'not-json' })
    const expected = { id_token: ['Send this field in a JSON body, with Content-Type: application/json.'] }
    const form = await testApp.app.inject({
      method: 'POST',
      url: '/o/stub/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ id_token: idToken, nonce: 'n' }).toString()
    })
    assert.equal(form.statusCode, 400, 'form body')
    assert.deepEqual(form.json(), expected, 'form body')
    const query = await testApp.app.inject({ method: 'POST', url: '/o/stub/', query: { id_token: idToken, nonce: 'n' } })
    assert.equal(query.statusCode, 400, 'query string')
    assert.deepEqual(query.json(), expected, 'query string')
    const queryUnderJson = await testApp.app.inject({ method: 'POST', url: '/o/stub/', query: { id_token: idToken }, payload: { nonce: 'n' } })
    assert.equal(queryUnderJson.statusCode, 400, 'query string under a JSON body')
    const nonceInQuery = await testApp.app.inject({ method: 'POST', url: '/o/stub/', query: { nonce: 'n' }, payload: { id_token: idToken } })
    assert.equal(nonceInQuery.statusCode, 400, 'nonce in the query string')
    assert.deepEqual(nonceInQuery.json(), { nonce: ['Send this field in a JSON body, with Content-Type: application/json.'] })
    const userInQuery = await testApp.app.inject({ method: 'POST', url: '/o/stub/', query: { user: '{}' }, payload: { id_token: idToken, nonce: 'n' } })
    assert.equal(userInQuery.statusCode, 400, 'user in the query string')
    assert.deepEqual(Object.keys(userInQuery.json()), ['user'])
    // None of these used the token up, so the app can still sign in with it.
    assert.equal((await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })).status, 201)
    assert.equal(JSON.stringify(testApp.logs).includes(idToken.split('.')[2] as string), false, 'the id_token never reaches the log')
  })

  it('GET logs no query string', async () => {
    const idToken = await stub.idToken({ nonce: N_HASH, sub: 'get-log' })
    const response = await testApp.app.inject({ method: 'GET', url: '/o/stub/', query: { redirect_uri: REDIRECT_URI, id_token: idToken } })
    assert.equal(response.statusCode, 200, response.body)
    const incoming = testApp.logs.findLast((line) => line.msg === 'incoming request') as { req?: { url?: string } } | undefined
    assert.equal(incoming?.req?.url, '/o/stub/?[redacted]')
    assert.equal(JSON.stringify(testApp.logs).includes(idToken.split('.')[2] as string), false, 'the id_token never reaches the log')
  })

  it('redirect with an id_token stays a code flow', async () => {
    // Apple's form post carries code, state, id_token and user together. The code exchange's token
    // signs in, never the posted one.
    const store = testApp.app.socialAuth.stateStore as MemoryStateStore
    const sizeBefore = store.size
    const begin = await testApp.begin('stub')
    const url = new URL(begin.json().authorization_url)
    const codeFlowToken = await stub.idToken({ sub: 'exchanged-user', nonce: url.searchParams.get('nonce') ?? '' })
    const postedToken = await stub.idToken({ sub: 'posted-user', nonce: N_HASH })
    stub.tokenHandler = () => ({ access_token: 'stub-access', token_type: 'Bearer', id_token: codeFlowToken })
    stub.userinfoHandler = () => ({ sub: 'exchanged-user' })
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/o/stub/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ code: 'stub-code', state: url.searchParams.get('state') ?? '', id_token: postedToken, nonce: 'n', user: '{}' }).toString()
    })
    assert.equal(response.statusCode, 201, response.body)
    assert.equal(response.json().user.id, 'stub:exchanged-user')
    // Every entry here uses the sha256 nonce form, which no code-flow token can pass, so none is marked.
    assert.equal(store.size, sizeBefore, 'no mark for the code flow\'s id_token')
  })

  it('code flow id_token cannot sign in again', async () => {
    // With the raw form, the token's own nonce claim would otherwise pass as the app's nonce.
    const begin = await rawNonceApp.begin('stub')
    const url = new URL(begin.json().authorization_url)
    const nonce = url.searchParams.get('nonce') ?? ''
    const codeFlowToken = await stub.idToken({ sub: 'code-flow-user', nonce })
    stub.tokenHandler = () => ({ access_token: 'stub-access', token_type: 'Bearer', id_token: codeFlowToken })
    stub.userinfoHandler = () => ({ sub: 'code-flow-user' })
    assert.equal((await post(rawNonceApp, 'stub', { code: 'stub-code', state: url.searchParams.get('state') })).status, 201)
    const replay = await post(rawNonceApp, 'stub', { id_token: codeFlowToken, nonce })
    assert.equal(replay.status, 400)
    assert.deepEqual(replay.body, REPLAYED)
  })

  it('failed code-flow mark still signs in', async () => {
    const memory = new MemoryStateStore()
    const failingMarks: StateStore = {
      save: async (key, record, ttlMs) => {
        if (key.startsWith('id_token:')) throw new StoreUnavailableError('store down for marks')
        await memory.save(key, record, ttlMs)
      },
      take: async (key) => await memory.take(key)
    }
    const provider = { ...stubOptions(), idTokenNonceForm: 'raw' as const }
    const markApp = await buildApp({ stateStore: failingMarks, providers: { stub: provider } })
    try {
      const begin = await markApp.begin('stub')
      const url = new URL(begin.json().authorization_url)
      const codeFlowToken = await stub.idToken({ sub: 'mark-failed', nonce: url.searchParams.get('nonce') ?? '' })
      stub.tokenHandler = () => ({ access_token: 'stub-access', token_type: 'Bearer', id_token: codeFlowToken })
      stub.userinfoHandler = () => ({ sub: 'mark-failed' })
      const result = await post(markApp, 'stub', { code: 'stub-code', state: url.searchParams.get('state') })
      assert.equal(result.status, 201, JSON.stringify(result.body))
      const warning = markApp.logs.find((line) => line.msg === 'social sign-in could not mark its id_token as used')
      assert.equal(warning?.level, 50)
      assert.equal(warning?.reason, 'store down for marks')
    } finally {
      await markApp.app.close()
    }
  })

  it('rejects JWTs that are not id_tokens', async () => {
    const cases: Array<[string, Record<string, unknown>, { typ?: string }, RegExp]> = [
      ['RFC 9068 access token', {}, { typ: 'at+jwt' }, /token type "at\+jwt"/],
      ['RFC 9068 access token, media type form', {}, { typ: 'application/at+jwt' }, /token type "at\+jwt"/],
      ['logout token', { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, { typ: 'logout+jwt' }, /token type "logout\+jwt"/],
      ['events claim without typ', { events: {} }, {}, /events claim/],
      ['Keycloak access token', { typ: 'Bearer' }, { typ: 'JWT' }, /typ claim "Bearer"/],
      ['Keycloak DPoP token', { typ: 'DPoP' }, { typ: 'JWT' }, /typ claim "DPoP"/],
      ['typ claim that is not a string', { typ: ['ID'] }, {}, /typ claim \["ID"\]/],
      ['typ with a Kelvin sign', {}, { typ: 'id_to\u212Aen+jwt' }, /token type/],
      ['typ claim of another token', { typ: 'Refresh' }, {}, /typ claim "Refresh"/],
      ['typ that is not a string', {}, { typ: 7 as unknown as string }, /token type 7/],
      ['unknown typ', {}, { typ: 'secevent+jwt' }, /token type "secevent\+jwt"/]
    ]
    for (const [name, claims, header, reason] of cases) {
      const idToken = await stub.idToken({ nonce: N_HASH, sub: `typ-${name}`, ...claims }, header)
      const result = await post(testApp, 'stub', { id_token: idToken, nonce: 'n' })
      assert.equal(result.status, 400, name)
      assert.match(result.reason, reason, name)
    }
    for (const typ of ['JWT', 'application/jwt', 'JOSE', 'id_token+jwt']) {
      const typed = await stub.idToken({ nonce: N_HASH, sub: `typ-${typ}`, typ: 'ID' }, { typ })
      assert.equal((await post(testApp, 'stub', { id_token: typed, nonce: 'n' })).status, 201, `typ ${typ} is an id_token's`)
    }
    const claimed = await stub.idToken({ nonce: N_HASH, sub: 'typ-claim-id_token', typ: 'id_token' })
    assert.equal((await post(testApp, 'stub', { id_token: claimed, nonce: 'n' })).status, 201, 'typ claim id_token is an id_token\'s')
  })

  it('header without kid tries at most 10 keys', async () => {
    const extra = await Promise.all(Array.from({ length: 10 }, async (_, index) => {
      const { publicKey } = await generateKeyPair('RS256', { extractable: true })
      return { ...(await exportJWK(publicKey)), kid: `stub-extra-${index}`, alg: 'RS256', use: 'sig' }
    }))
    stub.publishedKeys.unshift(...extra)
    const freshApp = await buildApp({ providers: { stub: stubOptions() } })
    try {
      // The signing key is the 11th candidate, past the cap.
      const idToken = await stub.idToken({ nonce: N_HASH, sub: 'no-kid-11th' }, { kid: null })
      const result = await post(freshApp, 'stub', { id_token: idToken, nonce: 'n' })
      assert.equal(result.status, 400)
      assert.match(result.reason, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
    } finally {
      stub.publishedKeys.splice(0, extra.length)
      await freshApp.app.close()
    }
  })

  it('header without kid tries each matching key', async () => {
    // Another RSA key in front of the signing one, as providers publish during a rotation, and a
    // 1024-bit one, which jose refuses for RS256, in front of both.
    const { publicKey } = await generateKeyPair('RS256', { extractable: true })
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    stub.publishedKeys.unshift({ ...(await exportJWK(publicKey)), kid: 'stub-key-0', alg: 'RS256', use: 'sig' })
    stub.publishedKeys.unshift({ ...(await exportJWK(short)), kid: 'stub-key-short', alg: 'RS256', use: 'sig' })
    const freshApp = await buildApp({ providers: { stub: stubOptions() } })
    try {
      const idToken = await stub.idToken({ nonce: N_HASH, sub: 'no-kid' }, { kid: null })
      const result = await post(freshApp, 'stub', { id_token: idToken, nonce: 'n' })
      assert.equal(result.status, 201, JSON.stringify(result.body))
      const forged = await stub.idToken({ nonce: N_HASH, sub: 'no-kid-forged' }, { kid: null, key: stub.foreignKey })
      const rejected = await post(freshApp, 'stub', { id_token: forged, nonce: 'n' })
      assert.equal(rejected.status, 400)
      assert.match(rejected.reason, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
    } finally {
      stub.publishedKeys.splice(0, 2)
      await freshApp.app.close()
    }
  })
})

describe('id_token sign-in with presets', () => {
  const emulator = new ProviderEmulator()
  let testApp: TestApp
  const identities: Identity[] = []
  const applePem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

  before(async () => {
    await emulator.start()
    const endpoints = emulatedEndpoints(emulator)
    testApp = await buildApp({
      providers: {
        apple: {
          clientId: 'com.example.services',
          teamId: 'TEAM123456',
          keyId: 'KEY1234567',
          privateKey: applePem,
          endpoints,
          allowIdTokenSignIn: true,
          clientIds: { ios: ['com.example.app', 'com.example.app.clip'] }
        },
        google: {
          clientId: 'web.apps.googleusercontent.test',
          clientSecret: 'google-secret',
          endpoints,
          allowIdTokenSignIn: true,
          clientIds: { android: 'android.apps.googleusercontent.test' }
        }
      },
      resolveUser: async (identity) => {
        identities.push(identity)
        return { id: `${identity.provider}:${identity.uid}` }
      }
    })
  })

  after(async () => {
    await testApp.app.close()
    await emulator.close()
  })

  beforeEach(() => { identities.length = 0 })

  it('apple: bundle id audience and the user field', async () => {
    for (const audience of ['com.example.app', 'com.example.app.clip']) {
      const idToken = await emulator.idToken({
        iss: emulator.url,
        aud: audience,
        sub: `001234.${audience}`,
        nonce: N_HASH,
        email: 'xyz123@privaterelay.appleid.com',
        email_verified: 'true'
      })
      const user = '{"name": {"firstName": "Tim", "lastName": "Apple", "__proto__": {"isAdmin": true}}, "email": "attacker@example.test"}'
      const result = await post(testApp, 'apple', { id_token: idToken, nonce: 'n', user })
      assert.equal(result.status, 201, `${audience}: ${JSON.stringify(result.body)}`)
    }
    const identity = identities[0]
    assert.equal(identity?.email, 'xyz123@privaterelay.appleid.com', 'the email comes from the token, not from user')
    assert.equal(identity?.emailVerified, true)
    assert.equal(identity?.firstName, 'Tim')
    assert.equal(identity?.lastName, 'Apple')
    const name = (identity?.raw.user as { name: Record<string, unknown> }).name
    assert.deepEqual(Object.keys(name), ['firstName', 'lastName'], 'no __proto__ key from the unsigned user field')
    assert.equal(emulator.requests.filter((request) => request.path !== '/jwks').length, 0, 'no provider call but the key set')
  })

  it('google: android azp with the web audience', async () => {
    const idToken = await emulator.idToken({
      iss: emulator.url,
      aud: 'web.apps.googleusercontent.test',
      azp: 'android.apps.googleusercontent.test',
      sub: '10769150350006150715113082367',
      nonce: N_HASH,
      email: 'jane@example.test',
      email_verified: true
    })
    const result = await post(testApp, 'google', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 201, JSON.stringify(result.body))
    assert.equal(identities[0]?.email, 'jane@example.test')
  })

  it('google: an apple audience is rejected', async () => {
    const idToken = await emulator.idToken({ iss: emulator.url, aud: 'com.example.app', sub: 'x', nonce: N_HASH })
    const result = await post(testApp, 'google', { id_token: idToken, nonce: 'n' })
    assert.equal(result.status, 400)
    assert.match(result.reason, /^aud claim "com.example.app" is not clientId/)
  })
})

describe('access_token sign-in with Facebook', () => {
  const emulator = new ProviderEmulator()
  const clientId = '1234567890'
  const clientSecret = 'facebook-app-secret-0123456789'
  let testApp: TestApp
  const identities: Identity[] = []

  /** Routes a debug_token response in the Graph API's documented shape, with fields replaced as given. */
  function debugToken (data: Record<string, unknown>): void {
    emulator.route('GET /debug_token', () => ({
      data: {
        app_id: clientId,
        type: 'USER',
        application: 'Native Test',
        data_access_expires_at: now() + 7_776_000,
        expires_at: now() + 5_184_000,
        is_valid: true,
        issued_at: now() - 60,
        scopes: ['email', 'public_profile'],
        user_id: '10158271716411234',
        ...data
      }
    }))
  }

  const now = (): number => Math.floor(Date.now() / 1000)

  before(async () => {
    await emulator.start()
    testApp = await buildApp({
      providers: {
        facebook: { clientId, clientSecret, endpoints: emulatedEndpoints(emulator), allowAccessTokenSignIn: true },
        fbweb: { type: 'facebook', clientId, clientSecret, endpoints: emulatedEndpoints(emulator) },
        github: { clientId: 'gh', clientSecret: 'gh-secret', endpoints: emulatedEndpoints(emulator) }
      },
      resolveUser: async (identity) => {
        identities.push(identity)
        return { id: `${identity.provider}:${identity.uid}`, email: identity.email, username: identity.username }
      }
    })
  })

  after(async () => {
    await testApp.app.close()
    await emulator.close()
  })

  beforeEach(() => {
    emulator.reset()
    identities.length = 0
    debugToken({})
    emulator.route('GET /me', () => ({ id: '10158271716411234', name: 'Mark Example', email: 'mark@example.test', first_name: 'Mark', last_name: 'Example' }))
  })

  it('accepts a token that debug_token confirms for this app', async () => {
    const result = await post(testApp, 'facebook', { access_token: 'EAAGnative-user-token' })
    assert.equal(result.status, 201, JSON.stringify(result.body))
    assert.deepEqual(result.body.user, { id: 'facebook:10158271716411234', email: 'mark@example.test', username: null })

    const debug = emulator.last('GET /debug_token')
    assert.equal(debug?.query.input_token, 'EAAGnative-user-token')
    assert.equal(debug?.query.access_token, `${clientId}|${clientSecret}`)
    const me = emulator.last('GET /me')
    assert.equal(me?.headers.authorization, 'Bearer EAAGnative-user-token')
    assert.equal(me?.query.appsecret_proof, createHmac('sha256', clientSecret).update('EAAGnative-user-token').digest('hex'))

    const tokens = identities[0]?.tokens
    assert.equal(tokens?.accessToken, 'EAAGnative-user-token')
    assert.equal(tokens?.scope, 'email public_profile')
    assert.ok(tokens?.expiresAt instanceof Date)
    assert.ok(tokens.expiresAt.getTime() > Date.now())
    const logged = JSON.stringify(testApp.logs)
    assert.equal(logged.includes('EAAGnative-user-token'), false, 'the access token never reaches the log')
    assert.equal(logged.includes(clientSecret), false, 'the app secret never reaches the log')
  })

  it('accepts a token that never expires', async () => {
    for (const expiresAt of [0, undefined]) {
      identities.length = 0
      debugToken({ expires_at: expiresAt })
      const result = await post(testApp, 'facebook', { access_token: 'EAAGlong-lived' })
      assert.equal(result.status, 201, `${String(expiresAt)}: ${JSON.stringify(result.body)}`)
      assert.equal(identities[0]?.tokens.expiresAt, null, String(expiresAt))
    }
  })

  const rejections: Array<[string, () => void, RegExp]> = [
    ['invalid token', () => debugToken({ is_valid: false, error: { code: 190, message: 'Error validating access token' } }), /reports the token invalid/],
    ['token of another app', () => debugToken({ app_id: '999' }), /issued to another app/],
    ['app id inside a list', () => debugToken({ app_id: [clientId] }), /issued to another app/],
    ['page token', () => debugToken({ type: 'PAGE' }), /token type is PAGE/],
    ['expired token', () => debugToken({ expires_at: now() - 10 }), /token expired/],
    ['unparsable token', () => emulator.route('GET /debug_token', (_request, reply) => reply.code(400).send({ error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 } })), /HTTP 400/]
  ]
  for (const [name, arrange, reason] of rejections) {
    it(`rejects: ${name}`, async () => {
      arrange()
      const result = await post(testApp, 'facebook', { access_token: 'EAAGsome-token' })
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, { non_field_errors: ['The access token is invalid, expired or issued to another app. Sign in again.'] })
      assert.match(result.reason, reason)
      assert.equal(emulator.last('GET /me'), undefined, 'no profile is read for a rejected token')
      assert.equal(identities.length, 0)
    })
  }

  const providerFaults: Array<[string, () => void, RegExp]> = [
    ['debug_token fails', () => emulator.route('GET /debug_token', (_request, reply) => reply.code(500).send({})), /debug_token endpoint returned HTTP 500/],
    ['debug_token has no data', () => emulator.route('GET /debug_token', () => ({ ok: true })), /no data object/],
    ['debug_token has no user', () => debugToken({ user_id: undefined }), /no user_id/],
    ['expires_at is a string', () => debugToken({ expires_at: 'never' }), /expires_at that is not a non-negative number/],
    ['expires_at is negative', () => debugToken({ expires_at: -1 }), /expires_at that is not a non-negative number/],
    ['/me names another user', () => emulator.route('GET /me', () => ({ id: '1' })), /another user than debug_token/]
  ]
  for (const [name, arrange, reason] of providerFaults) {
    it(`provider fault is a 502: ${name}`, async () => {
      arrange()
      const result = await post(testApp, 'facebook', { access_token: 'EAAGsome-token' })
      assert.equal(result.status, 502)
      assert.match(result.reason, reason)
      assert.equal(identities.length, 0)
    })
  }

  it('rejects access_token unless the provider allows it', async () => {
    for (const provider of ['fbweb', 'github']) {
      const result = await post(testApp, provider, { access_token: 'some-token' })
      assert.equal(result.status, 400, provider)
      assert.deepEqual(result.body, { access_token: ['This provider does not accept sign-in with an access token.'] }, provider)
    }
    assert.equal(emulator.requests.length, 0, 'no provider request')
  })

  it('rejects id_token on a provider without OpenID', async () => {
    const result = await post(testApp, 'facebook', { id_token: 'a.b.c', nonce: 'n' })
    assert.equal(result.status, 400)
    assert.deepEqual(result.body, { id_token: ['This provider does not accept sign-in with an id_token.'] })
  })
})

describe('native sign-in options', () => {
  const base = { clientId: 'client', clientSecret: 'secret' }
  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['id_token on a provider without OpenID', { github: { ...base, allowIdTokenSignIn: true } }, /github is not an OpenID provider/],
    ['access_token beyond Facebook', { google: { ...base, allowAccessTokenSignIn: true } }, /only facebook does/],
    ['clientIds without id_token sign-in', { google: { ...base, clientIds: { ios: 'x' } } }, /set allowIdTokenSignIn: true/],
    ['requireIdTokenNonce without id_token sign-in', { google: { ...base, requireIdTokenNonce: false } }, /set allowIdTokenSignIn: true/],
    ['clientIds as a list', { google: { ...base, allowIdTokenSignIn: true, clientIds: ['x'] } }, /must be an object of platform names/],
    ['platform name with a dot', { google: { ...base, allowIdTokenSignIn: true, clientIds: { 'i.os': 'x' } } }, /platform name "i.os"/],
    ['empty client id', { google: { ...base, allowIdTokenSignIn: true, clientIds: { ios: '' } } }, /clientIds\.ios is missing/],
    ['empty client id list', { google: { ...base, allowIdTokenSignIn: true, clientIds: { ios: [] } } }, /clientIds\.ios is an empty list/],
    ['blank id in a list', { google: { ...base, allowIdTokenSignIn: true, clientIds: { ios: ['ok', ''] } } }, /clientIds\.ios\[1\] is missing/],
    ['idTokenNonceForm unknown', { google: { ...base, allowIdTokenSignIn: true, idTokenNonceForm: 'md5' } }, /idTokenNonceForm must be raw or sha256/],
    ['client id with a newline', { google: { ...base, allowIdTokenSignIn: true, clientIds: { ios: 'id\n' } } }, /clientIds\.ios contains whitespace/],
    ['allowIdTokenSignIn not a boolean', { google: { ...base, allowIdTokenSignIn: 'yes' } }, /allowIdTokenSignIn must be a boolean/]
  ]
  for (const [name, providers, message] of invalid) {
    it(`registration fails: ${name}`, async () => {
      const app = Fastify()
      await assert.rejects(async () => {
        await app.register(socialAuth, { redirectUris: [REDIRECT_URI], providers: providers as never, resolveUser: async () => ({ id: 1 }), jwt: { secret: 'x'.repeat(32) } })
        await app.ready()
      }, (error: Error) => {
        assert.ok(error instanceof SocialAuthOptionsError, String(error))
        assert.match(error.message, message)
        return true
      })
      await app.close()
    })
  }
})
