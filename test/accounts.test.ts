import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import { decodeJwt, jwtVerify } from 'jose'
import socialAuth, { AccountConflictError, TokenCipher, type AccountsAdapter, type AccountsOptions, type ProfileFields, type SocialAuthOptions } from '../lib/index.js'
import { JWT_SECRET, REDIRECT_URI, type LogLine } from './support/app.js'
import { postgresDatabase, sqliteDatabase, type TestDatabase } from './support/databases.js'
import { ProviderEmulator } from './support/provider-emulator.js'

/** The profile the emulated providers return on the next sign-in. */
let nextProfile: Partial<ProfileFields> & { uid: string } = { uid: 'u-1' }
/** The access token the emulated token endpoint returns on the next sign-in. */
let nextAccessToken = 'provider-access-token'

function providers (emulator: ProviderEmulator): SocialAuthOptions['providers'] {
  const provider = {
    type: 'oauth2',
    clientId: 'accounts-client',
    clientSecret: 'accounts-client-secret',
    authorizationEndpoint: `${emulator.url}/authorize`,
    tokenEndpoint: `${emulator.url}/token`,
    fetchProfile: async () => nextProfile
  } as const
  return { alpha: provider, beta: provider }
}

interface SignInResult {
  status: number
  body: Record<string, unknown>
}

interface AccountsApp {
  app: ReturnType<typeof Fastify>
  logs: LogLine[]
  signIn: (provider?: string) => Promise<SignInResult>
}

async function buildAccountsApp (
  emulator: ProviderEmulator,
  accounts: AccountsOptions,
  extra: Partial<SocialAuthOptions> = {},
  beforeRegister?: (app: ReturnType<typeof Fastify>) => Promise<void>
): Promise<AccountsApp> {
  const logs: LogLine[] = []
  const app = Fastify({ logger: { level: 'debug', stream: { write: (line: string) => { logs.push(JSON.parse(line) as LogLine) } } } })
  await beforeRegister?.(app)
  await app.register(socialAuth, { redirectUris: [REDIRECT_URI], providers: providers(emulator), accounts, jwt: { secret: JWT_SECRET }, ...extra })
  await app.ready()
  return {
    app,
    logs,
    signIn: async (provider = 'alpha') => {
      const begin = await app.inject({ url: `/o/${provider}/`, query: { redirect_uri: REDIRECT_URI } })
      assert.equal(begin.statusCode, 200, begin.body)
      const state = new URL(begin.json().authorization_url).searchParams.get('state')
      const response = await app.inject({ method: 'POST', url: `/o/${provider}/`, payload: { code: 'code', state } })
      return { status: response.statusCode, body: response.json() }
    }
  }
}

const databases: Array<[string, () => Promise<TestDatabase>]> = [
  ['sqlite', sqliteDatabase],
  ['postgres', postgresDatabase]
]

for (const [dialect, openDatabase] of databases) {
  describe(`accounts pipeline on ${dialect}`, () => {
    const emulator = new ProviderEmulator()
    let database: TestDatabase
    let testApp: AccountsApp | null = null

    before(async () => {
      await emulator.start()
      emulator.route('POST /token', () => ({ access_token: nextAccessToken, refresh_token: 'provider-refresh-token', token_type: 'Bearer', expires_in: 3600, scope: 'profile' }))
    })
    after(async () => { await emulator.close() })
    beforeEach(async () => {
      await testApp?.app.close()
      testApp = null
      await database?.close()
      database = await openDatabase()
      nextAccessToken = 'provider-access-token'
    })
    after(async () => {
      await testApp?.app.close()
      await database.close()
    })

    async function appWith (accounts: Partial<AccountsOptions> = {}, extra: Partial<SocialAuthOptions> = {}): Promise<AccountsApp> {
      testApp = await buildAccountsApp(emulator, { adapter: database.adapter, ...accounts }, extra)
      return testApp
    }

    async function countRows (table: 'users' | 'social_accounts'): Promise<number> {
      const rows = await database.query(`SELECT count(*) AS n FROM ${table}`)
      return Number(rows[0]?.n)
    }

    it('first sign-in creates a user and a link', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'alice-1', email: 'alice@example.test', emailVerified: true, username: 'alice', firstName: 'Alice', lastName: 'Example' }
      const result = await signIn()
      assert.equal(result.status, 201, JSON.stringify(result.body))
      assert.deepEqual(Object.keys(result.body.user as object).sort(), ['email', 'id', 'username'])
      assert.equal((result.body.user as { email: string }).email, 'alice@example.test')

      const users = await database.query('SELECT email, username, first_name, last_name, is_active FROM users')
      assert.equal(users.length, 1)
      assert.equal(users[0]?.email, 'alice@example.test')
      assert.equal(users[0]?.first_name, 'Alice')
      const links = await database.query('SELECT provider, uid, scope FROM social_accounts')
      assert.deepEqual(links.map((row) => [row.provider, row.uid, row.scope]), [['alpha', 'alice-1', 'profile']])
    })

    it('second sign-in finds the same user', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'bob-1', email: 'bob@example.test', emailVerified: true }
      const first = await signIn()
      const second = await signIn()
      assert.equal(second.status, 201)
      assert.equal((second.body.user as { id: unknown }).id, (first.body.user as { id: unknown }).id)
      assert.equal(await countRows('users'), 1)
      assert.equal(await countRows('social_accounts'), 1)
    })

    it('verified email links a second provider when enabled', async () => {
      const { signIn } = await appWith({ associateByEmail: true })
      nextProfile = { uid: 'carol-alpha', email: 'carol@example.test', emailVerified: true }
      const first = await signIn('alpha')
      nextProfile = { uid: 'carol-beta', email: 'Carol@Example.test', emailVerified: true }
      const second = await signIn('beta')
      assert.equal(second.status, 201, JSON.stringify(second.body))
      assert.equal((second.body.user as { id: unknown }).id, (first.body.user as { id: unknown }).id)
      assert.equal(await countRows('users'), 1)
      assert.equal(await countRows('social_accounts'), 2)
    })

    it('verified email is refused when linking is off', async () => {
      const { signIn } = await appWith({ associateByEmail: false })
      nextProfile = { uid: 'dan-alpha', email: 'dan@example.test', emailVerified: true }
      assert.equal((await signIn('alpha')).status, 201)
      nextProfile = { uid: 'dan-beta', email: 'dan@example.test', emailVerified: true }
      const second = await signIn('beta')
      assert.equal(second.status, 400)
      assert.deepEqual(second.body, { non_field_errors: ['An account with this email already exists. Sign in the way you signed in before.'] })
      assert.equal(await countRows('social_accounts'), 1)
    })

    it('unverified email matching a user is refused', async () => {
      const { signIn } = await appWith({ associateByEmail: true })
      nextProfile = { uid: 'erin-alpha', email: 'erin@example.test', emailVerified: true }
      assert.equal((await signIn('alpha')).status, 201)
      nextProfile = { uid: 'attacker-beta', email: 'erin@example.test', emailVerified: false }
      const second = await signIn('beta')
      assert.equal(second.status, 400)
      assert.deepEqual(second.body, { non_field_errors: ['An account with this email already exists. Sign in the way you signed in before.'] })
      assert.equal(await countRows('users'), 1)
      assert.equal(await countRows('social_accounts'), 1)
    })

    it('unverified email is not stored on a new user', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'frank-1', email: 'frank@example.test', emailVerified: false }
      assert.equal((await signIn()).status, 201)
      const users = await database.query('SELECT email FROM users')
      assert.equal(users[0]?.email, null)
    })

    it('allowed domains admit only verified emails inside them', async () => {
      const { signIn } = await appWith({ allowedDomains: ['corp.example'], allowedEmails: ['guest@partner.example'] })
      const cases: Array<[Partial<ProfileFields> & { uid: string }, number]> = [
        [{ uid: 'in-1', email: 'ann@CORP.example', emailVerified: true }, 201],
        [{ uid: 'guest-1', email: 'guest@partner.example', emailVerified: true }, 201],
        [{ uid: 'out-1', email: 'ann@other.example', emailVerified: true }, 400],
        [{ uid: 'sub-1', email: 'ann@evil.corp.example', emailVerified: true }, 400],
        [{ uid: 'unverified-1', email: 'bob@corp.example', emailVerified: false }, 400],
        [{ uid: 'none-1' }, 400]
      ]
      for (const [profile, status] of cases) {
        nextProfile = profile
        const result = await signIn()
        assert.equal(result.status, status, `${profile.uid}: ${JSON.stringify(result.body)}`)
        if (status === 400) assert.deepEqual(result.body, { non_field_errors: ['Sign-in is limited to approved email addresses.'] })
      }
      assert.equal(await countRows('users'), 2)
    })

    it('inactive user is refused', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'gone-1', email: 'gone@example.test', emailVerified: true }
      assert.equal((await signIn()).status, 201)
      await database.query(dialect === 'sqlite' ? 'UPDATE users SET is_active = 0' : 'UPDATE users SET is_active = false')
      const result = await signIn()
      assert.equal(result.status, 400)
      assert.deepEqual(result.body, { non_field_errors: ['This account is inactive.'] })
    })

    it('concurrent first sign-ins retry after a conflict', async () => {
      // Each request waits after its lookups until all have done theirs, so every one tries to create.
      const inner = database.adapter
      let waiting = 0
      let release: () => void = () => {}
      const allArrived = new Promise<void>((resolve) => { release = resolve })
      let conflicts = 0

      const barrierAdapter: AccountsAdapter = {
        findUserByAccount: async (provider, uid) => await inner.findUserByAccount(provider, uid),
        findUserById: async (id) => await inner.findUserById(id),
        findAccount: async (provider, uid) => await inner.findAccount(provider, uid),
        linkAccount: async (userId, account) => { await inner.linkAccount(userId, account) },
        updateAccount: async (account) => { await inner.updateAccount(account) },
        findUserByEmail: async (email) => {
          const user = await inner.findUserByEmail(email)
          if (++waiting === 4) release()
          await allArrived
          return user
        },
        createUserWithAccount: async (user, account) => {
          try {
            return await inner.createUserWithAccount(user, account)
          } catch (error) {
            if (error instanceof AccountConflictError) conflicts++
            throw error
          }
        }
      }

      testApp = await buildAccountsApp(emulator, { adapter: barrierAdapter })
      nextProfile = { uid: 'barrier-1', email: 'barrier@example.test', emailVerified: true }
      const states: string[] = []
      for (let index = 0; index < 4; index++) {
        const begin = await testApp.app.inject({ url: '/o/alpha/', query: { redirect_uri: REDIRECT_URI } })
        states.push(new URL(begin.json().authorization_url).searchParams.get('state') ?? '')
      }

      const app = testApp.app
      const responses = await Promise.all(states.map(async (state) => await app.inject({ method: 'POST', url: '/o/alpha/', payload: { code: 'code', state } })))
      assert.deepEqual(responses.map((response) => response.statusCode), [201, 201, 201, 201])
      assert.equal(conflicts, 3, 'three requests lost the race and retried')
      assert.equal(new Set(responses.map((response) => response.json().user.id)).size, 1)
      assert.equal(await countRows('users'), 1)
      assert.equal(await countRows('social_accounts'), 1)
    })

    it('concurrent first sign-ins create one user and one link', async () => {
      const { app } = await appWith()
      nextProfile = { uid: 'race-1', email: 'race@example.test', emailVerified: true }
      const states: string[] = []
      for (let index = 0; index < 6; index++) {
        const begin = await app.inject({ url: '/o/alpha/', query: { redirect_uri: REDIRECT_URI } })
        states.push(new URL(begin.json().authorization_url).searchParams.get('state') ?? '')
      }
      const responses = await Promise.all(states.map(async (state) => await app.inject({ method: 'POST', url: '/o/alpha/', payload: { code: 'code', state } })))
      assert.deepEqual(responses.map((response) => response.statusCode), [201, 201, 201, 201, 201, 201], JSON.stringify(testApp?.logs.filter((line) => line.code !== undefined)))
      const ids = new Set(responses.map((response) => response.json().user.id))
      assert.equal(ids.size, 1)
      assert.equal(await countRows('users'), 1)
      assert.equal(await countRows('social_accounts'), 1)
    })

    it('look-alike Unicode emails stay separate users', async () => {
      const { signIn } = await appWith({ associateByEmail: true })
      nextProfile = { uid: 'victim', email: 'alice@github.example', emailVerified: true }
      const victim = await signIn('alpha')
      for (const [uid, email] of [['dotted-i', 'alice@g\u0130thub.example'], ['kelvin', '\u212Aim@github.example'], ['plain-kim', 'kim@github.example']]) {
        nextProfile = { uid: uid as string, email, emailVerified: true }
        const result = await signIn('beta')
        assert.equal(result.status, 201, JSON.stringify(result.body))
        assert.notEqual((result.body.user as { id: unknown }).id, (victim.body.user as { id: unknown }).id, email)
      }
      assert.equal(await countRows('users'), 4)
    })

    it('allow lists fold ASCII case only and need one @', async () => {
      const { signIn } = await appWith({ allowedDomains: ['corp.example'], allowedEmails: ['kim@partner.example'] })
      const cases: Array<[string, number]> = [['KIM@Partner.Example', 201], ['\u212Aim@partner.example', 400], ['corp.example', 400], ['a@evil.example@corp.example', 400]]
      for (const [email, status] of cases) {
        nextProfile = { uid: `allow-${email}`, email, emailVerified: true }
        assert.equal((await signIn()).status, status, email)
      }
    })

    it('custom createUser never stores an unverified email', async () => {
      const { signIn } = await appWith({ associateByEmail: true, createUser: (identity) => ({ email: identity.email, username: 'custom', firstName: null, lastName: null }) })
      nextProfile = { uid: 'squatter', email: 'victim@example.test', emailVerified: false }
      assert.equal((await signIn('alpha')).status, 201)
      assert.equal((await database.query('SELECT email FROM users'))[0]?.email, null)
      nextProfile = { uid: 'owner', email: 'victim@example.test', emailVerified: true }
      const owner = await signIn('beta')
      assert.equal(owner.status, 201)
      assert.equal(await countRows('users'), 2, 'the owner gets a user of their own')
    })

    it('refresh token is kept, dropped or encrypted as configured', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'keep-1' }
      await signIn()
      emulator.route('POST /token', () => ({ access_token: 'second-access', token_type: 'Bearer' }))
      try {
        await signIn()
        const afterSecond = (await database.query('SELECT access_token, refresh_token FROM social_accounts'))[0]
        assert.equal(afterSecond?.access_token, 'second-access')
        assert.equal(afterSecond?.refresh_token, 'provider-refresh-token', 'kept when the provider sends none')

        await testApp?.app.close()
        const key = randomBytes(32)
        const { signIn: signInWithKey } = await appWith({ encryptionKey: key })
        await signInWithKey()
        const sealed = String((await database.query('SELECT refresh_token FROM social_accounts'))[0]?.refresh_token)
        assert.match(sealed, /^v1\./, 'a clear token is encrypted once a key is set')
        assert.equal(new TokenCipher(key).decrypt(sealed, JSON.stringify(['alpha', 'keep-1', 'refresh_token'])), 'provider-refresh-token')

        await testApp?.app.close()
        const { signIn: signInWithout } = await appWith({ storeTokens: false })
        await signInWithout()
        const dropped = (await database.query('SELECT access_token, refresh_token FROM social_accounts'))[0]
        assert.equal(dropped?.access_token, null)
        assert.equal(dropped?.refresh_token, null, 'dropped when tokens are not stored')
      } finally {
        emulator.route('POST /token', () => ({ access_token: nextAccessToken, refresh_token: 'provider-refresh-token', token_type: 'Bearer', expires_in: 3600, scope: 'profile' }))
      }
    })

    it('inactive user refusal writes nothing', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'banned-1' }
      await signIn()
      await database.query(dialect === 'sqlite' ? 'UPDATE users SET is_active = 0' : 'UPDATE users SET is_active = false')
      const before = (await database.query('SELECT access_token, last_login_at FROM social_accounts'))[0]
      nextAccessToken = 'after-ban-token'
      assert.equal((await signIn()).status, 400)
      const after = (await database.query('SELECT access_token, last_login_at FROM social_accounts'))[0]
      assert.deepEqual(after, before)
    })

    it('odd provider data is cleaned or rejected, never a 500', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'odd-1', email: 'odd\u0000@example.test', emailVerified: true, name: 'Mallory \ud83d', firstName: 'Nul\u0000l', username: 'u'.repeat(5000) }
      const cleaned = await signIn()
      assert.equal(cleaned.status, 201, JSON.stringify(cleaned.body))
      const user = (await database.query('SELECT email, first_name, username FROM users'))[0]
      assert.equal(user?.email, null, 'an email with NUL is dropped')
      assert.equal(user?.first_name, 'Null')
      assert.equal(user?.username, null, 'an over-long username is dropped')

      nextProfile = { uid: 'x'.repeat(10_000) }
      const longUid = await signIn()
      assert.equal(longUid.status, 502)
      nextProfile = { uid: 'nul\u0000uid' }
      assert.equal((await signIn()).status, 502)
    })

    it('tokens are encrypted at rest with a key', async () => {
      const key = randomBytes(32)
      const { signIn, logs } = await appWith({ encryptionKey: key.toString('base64') })
      nextAccessToken = `secret-access-${randomBytes(8).toString('hex')}`
      nextProfile = { uid: 'crypt-1', email: 'crypt@example.test', emailVerified: true }
      const result = await signIn()
      assert.equal(result.status, 201)

      const rows = await database.query('SELECT access_token, refresh_token FROM social_accounts')
      const stored = String(rows[0]?.access_token)
      assert.match(stored, /^v1\./)
      assert.ok(!stored.includes(nextAccessToken), 'the access token is not stored in clear')
      assert.ok(!String(rows[0]?.refresh_token).includes('provider-refresh-token'))

      const context = JSON.stringify(['alpha', 'crypt-1', 'access_token'])
      assert.equal(new TokenCipher(key).decrypt(stored, context), nextAccessToken)
      assert.throws(() => new TokenCipher(randomBytes(32)).decrypt(stored, context), 'another key cannot read it')
      assert.throws(() => new TokenCipher(key).decrypt(stored, JSON.stringify(['alpha', 'other-user', 'access_token'])), 'it is bound to its row')
      assert.ok(!JSON.stringify(logs).includes(nextAccessToken), 'the token is not logged')
      assert.ok(!JSON.stringify(result.body).includes(nextAccessToken), 'the token is not in the response')
    })

    it('tokens stored in clear or not at all', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'plain-1' }
      await signIn()
      assert.equal((await database.query('SELECT access_token FROM social_accounts'))[0]?.access_token, 'provider-access-token')

      await testApp?.app.close()
      const { signIn: signInWithout } = await appWith({ storeTokens: false })
      nextProfile = { uid: 'none-2' }
      await signInWithout()
      const row = (await database.query('SELECT access_token, refresh_token FROM social_accounts WHERE uid = ?', ['none-2']))[0]
      assert.equal(row?.access_token, null)
      assert.equal(row?.refresh_token, null)
    })

    it('signUp false admits only existing users', async () => {
      const { signIn } = await appWith()
      nextProfile = { uid: 'existing-1', email: 'existing@example.test', emailVerified: true }
      assert.equal((await signIn()).status, 201)
      await testApp?.app.close()

      const { signIn: signInClosed } = await appWith({ signUp: false, associateByEmail: true })
      const known = await signInClosed('alpha')
      assert.equal(known.status, 201, 'a linked identity signs in')
      nextProfile = { uid: 'existing-beta', email: 'existing@example.test', emailVerified: true }
      assert.equal((await signInClosed('beta')).status, 201, 'an existing user is linked by verified email')
      nextProfile = { uid: 'newcomer-1', email: 'new@example.test', emailVerified: true }
      const newcomer = await signInClosed('alpha')
      assert.equal(newcomer.status, 400)
      assert.deepEqual(newcomer.body, { non_field_errors: ['No account matches this sign-in, and new accounts are not open.'] })
      assert.equal(await countRows('users'), 1)
    })

    it('id_token sign-in keeps stored provider tokens', async () => {
      // One OpenID provider on the emulator, reached through a web code flow and a native app's id_token.
      const gamma = {
        type: 'google',
        clientId: 'gamma-web',
        clientSecret: 'gamma-web-secret',
        endpoints: { authorizationEndpoint: `${emulator.url}/authorize`, tokenEndpoint: `${emulator.url}/token`, userinfoEndpoint: `${emulator.url}/userinfo`, jwksUri: `${emulator.url}/jwks`, issuer: emulator.url },
        allowIdTokenSignIn: true,
        clientIds: { ios: 'gamma-ios' }
      } as const
      const { app } = await appWith({ encryptionKey: randomBytes(32) }, { providers: { gamma } })
      const begin = await app.inject({ url: '/o/gamma/', query: { redirect_uri: REDIRECT_URI } })
      const url = new URL(begin.json().authorization_url)
      const webIdToken = await emulator.idToken({ iss: emulator.url, aud: 'gamma-web', sub: 'gamma-user', nonce: url.searchParams.get('nonce') ?? '' })
      emulator.route('POST /token', () => ({ access_token: 'gamma-access', refresh_token: 'gamma-refresh', token_type: 'Bearer', expires_in: 3600, scope: 'openid email', id_token: webIdToken }))
      emulator.route('GET /userinfo', () => ({ sub: 'gamma-user', email: 'gamma@example.test', email_verified: true }))
      try {
        const web = await app.inject({ method: 'POST', url: '/o/gamma/', payload: { code: 'code', state: url.searchParams.get('state') } })
        assert.equal(web.statusCode, 201, web.body)
        const before = (await database.query('SELECT access_token, refresh_token, id_token, token_expires_at, scope FROM social_accounts'))[0]

        const nonceHash = createHash('sha256').update('native-nonce').digest('hex')
        const nativeIdToken = await emulator.idToken({ iss: emulator.url, aud: 'gamma-ios', sub: 'gamma-user', nonce: nonceHash })
        const native = await app.inject({ method: 'POST', url: '/o/gamma/', payload: { id_token: nativeIdToken, nonce: 'native-nonce' } })
        assert.equal(native.statusCode, 201, native.body)
        assert.equal(await countRows('users'), 1)
        const after = (await database.query('SELECT access_token, refresh_token, id_token, token_expires_at, scope FROM social_accounts'))[0]
        assert.equal(after?.access_token, before?.access_token, 'access token kept')
        assert.equal(after?.refresh_token, before?.refresh_token, 'refresh token kept')
        assert.deepEqual(after?.token_expires_at, before?.token_expires_at, 'expiry kept')
        assert.equal(after?.scope, 'openid email', 'scope kept')
        assert.notEqual(after?.id_token, before?.id_token, 'the new id_token is stored')
      } finally {
        emulator.route('POST /token', () => ({ access_token: nextAccessToken, refresh_token: 'provider-refresh-token', token_type: 'Bearer', expires_in: 3600, scope: 'profile' }))
      }
    })

    it('reportCreated tells new users from returning ones', async () => {
      for (const tokenStrategy of ['jwt', 'jwt-pair'] as const) {
        await testApp?.app.close()
        const { signIn } = await appWith({}, { tokenStrategy, jwt: { secret: JWT_SECRET, reportCreated: true } })
        nextProfile = { uid: `created-${tokenStrategy}` }
        assert.equal((await signIn()).body.created, true, tokenStrategy)
        assert.equal((await signIn()).body.created, false, tokenStrategy)
      }
      await testApp?.app.close()
      const { signIn } = await appWith()
      nextProfile = { uid: 'created-off' }
      assert.equal((await signIn()).body.created, undefined, 'absent unless asked for')
    })

    it('jwt-pair strategy answers access and refresh', async () => {
      const { signIn } = await appWith({}, { tokenStrategy: 'jwt-pair', jwt: { secret: JWT_SECRET, expiresIn: 300, refreshExpiresIn: 7200 } })
      nextProfile = { uid: 'pair-1', email: 'pair@example.test', emailVerified: true }
      const result = await signIn()
      assert.equal(result.status, 201)
      assert.deepEqual(Object.keys(result.body).sort(), ['access', 'refresh', 'user'])
      const key = new TextEncoder().encode(JWT_SECRET)
      const access = (await jwtVerify(String(result.body.access), key, { algorithms: ['HS256'] })).payload
      const refresh = (await jwtVerify(String(result.body.refresh), key, { algorithms: ['HS256'] })).payload
      assert.equal(access.token_type, 'access')
      assert.equal(refresh.token_type, 'refresh')
      assert.equal(access.user_id, (result.body.user as { id: unknown }).id)
      assert.equal((access.exp ?? 0) - (access.iat ?? 0), 300)
      assert.equal((refresh.exp ?? 0) - (refresh.iat ?? 0), 7200)
      assert.notEqual(access.jti, refresh.jti)
    })

    it('jwt claims cannot replace reserved claims', async () => {
      const hostile = { exp: 4102444800, iat: 4102444000, nbf: 4102444000, jti: 'fixed', iss: 'attacker', aud: 'attacker', sub: 'someone-else', token_type: 'refresh', user_id: 999, role: 'member' }
      for (const tokenStrategy of ['jwt', 'jwt-pair'] as const) {
        await testApp?.app.close()
        const { signIn } = await appWith({}, { tokenStrategy, jwt: { secret: JWT_SECRET, expiresIn: 60, claims: () => hostile } })
        nextProfile = { uid: `claims-${tokenStrategy}` }
        const result = await signIn()
        const token = String(result.body.token ?? result.body.access)
        const payload = decodeJwt(token)
        assert.equal(payload.sub, String((result.body.user as { id: unknown }).id), tokenStrategy)
        assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60, tokenStrategy)
        assert.notEqual(payload.jti, 'fixed')
        assert.equal(payload.iss, undefined)
        assert.equal(payload.aud, undefined)
        assert.equal(payload.nbf, undefined)
        assert.equal(payload.role, 'member', 'other claims pass')
        assert.equal(payload.token_type, tokenStrategy === 'jwt' ? undefined : 'access')
        assert.notEqual(payload.user_id, 999)
      }
    })

    it('fastify-jwt strategy signs with the host key', async () => {
      testApp = await buildAccountsApp(emulator, { adapter: database.adapter }, { tokenStrategy: 'fastify-jwt', jwt: undefined }, async (app) => {
        await app.register(fastifyJwt, { secret: 'host-fastify-jwt-secret-0123456789abcdef' })
      })
      nextProfile = { uid: 'fj-1', email: 'fj@example.test', emailVerified: true }
      const result = await testApp.signIn()
      assert.equal(result.status, 201, JSON.stringify(result.body))
      const verified = testApp.app.jwt.verify(String(result.body.token)) as { sub: string }
      assert.equal(verified.sub, String((result.body.user as { id: unknown }).id))
    })

    it('custom issueToken shapes the body', async () => {
      const { signIn } = await appWith({}, {
        jwt: undefined,
        issueToken: async (user, identity) => ({ session: `session-for-${String(user.id)}`, provider: identity.provider })
      })
      nextProfile = { uid: 'custom-1', firstName: 'Cus', lastName: 'Tom' }
      const result = await signIn()
      assert.equal(result.status, 201)
      assert.deepEqual(Object.keys(result.body).sort(), ['provider', 'session'])
      assert.equal(result.body.provider, 'alpha')
      assert.match(String(result.body.session), /^session-for-/)
    })

    it('default body never carries the stored row', async () => {
      const { signIn } = await appWith({}, { serializeUser: undefined })
      nextProfile = { uid: 'row-1', email: 'row@example.test', emailVerified: true, firstName: 'Row' }
      const result = await signIn()
      assert.deepEqual(Object.keys(result.body.user as object).sort(), ['email', 'id', 'username'])
      assert.equal(decodeJwt(String(result.body.token)).sub, String((result.body.user as { id: unknown }).id))
    })
  })
}

describe('accounts options', () => {
  it('fastify-jwt without @fastify/jwt fails at registration', async () => {
    const database = await sqliteDatabase()
    const app = Fastify()
    try {
      await assert.rejects(async () => {
        await app.register(socialAuth, {
          redirectUris: [REDIRECT_URI],
          providers: { alpha: { type: 'oauth2', clientId: 'c', clientSecret: 's', authorizationEndpoint: 'https://a.example.test/a', tokenEndpoint: 'https://a.example.test/t', fetchProfile: async () => ({ uid: 'x' }) } },
          accounts: { adapter: database.adapter },
          tokenStrategy: 'fastify-jwt'
        })
        await app.ready()
      }, /register it before fastify-social-auth/)
    } finally {
      await app.close()
      await database.close()
    }
  })

  const invalid: Array<[string, Partial<SocialAuthOptions>, RegExp]> = [
    ['both resolveUser and accounts', { resolveUser: async () => ({ id: 1 }) }, /give resolveUser or accounts, not both/],
    ['adapter without methods', { accounts: { adapter: {} as never } }, /accounts\.adapter is missing findUserByAccount/],
    ['short encryption key', { accounts: { adapter: undefined as never, encryptionKey: 'c2hvcnQ=' } }, /encryptionKey must be 32 bytes/],
    ['passphrase as encryption key', { accounts: { adapter: undefined as never, encryptionKey: 'this-is-my-token-encryption-key-please-keep' } }, /encryptionKey must be 32 bytes/],
    ['allowed domains not a list', { accounts: { adapter: undefined as never, allowedDomains: 'corp.example' as never } }, /allowedDomains must be an array/],
    ['unknown token strategy', { tokenStrategy: 'paseto' as never }, /tokenStrategy must be jwt, jwt-pair or fastify-jwt/],
    ['issueToken with tokenStrategy', { tokenStrategy: 'jwt', issueToken: async () => ({}) }, /not both/]
  ]

  for (const [name, override, message] of invalid) {
    it(`registration fails: ${name}`, async () => {
      const database = await sqliteDatabase()
      const app = Fastify()
      const accounts = override.accounts === undefined ? { adapter: database.adapter } : { ...override.accounts, adapter: override.accounts.adapter ?? database.adapter }
      try {
        await assert.rejects(async () => {
          await app.register(socialAuth, {
            redirectUris: [REDIRECT_URI],
            providers: { alpha: { type: 'oauth2', clientId: 'c', clientSecret: 's', authorizationEndpoint: 'https://a.example.test/a', tokenEndpoint: 'https://a.example.test/t', fetchProfile: async () => ({ uid: 'x' }) } },
            jwt: { secret: JWT_SECRET },
            ...override,
            accounts
          })
          await app.ready()
        }, message)
      } finally {
        await app.close()
        await database.close()
      }
    })
  }
})
