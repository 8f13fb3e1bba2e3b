import assert from 'node:assert/strict'
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { jwtVerify } from 'jose'
import type { Identity } from '../lib/index.js'
import { buildApp, REDIRECT_URI, type TestApp } from './support/app.js'
import { emulatedEndpoints, ProviderEmulator, type RecordedRequest } from './support/provider-emulator.js'

const CLIENT_ID = 'preset-client'
const CLIENT_SECRET = 'preset-client-secret-0123456789'
const ACCESS_TOKEN = 'emulator-access-token'

/** Identity fields every case asserts, one by one. */
type ExpectedIdentity = Pick<Identity, 'uid' | 'email' | 'emailVerified' | 'username' | 'name' | 'firstName' | 'lastName' | 'picture'>

interface Authorization {
  url: URL
  state: string
  nonce: string | null
}

interface PresetCase {
  title: string
  /** Provider name: the URL segment, and the preset unless `options` names a type. */
  name: string
  options: (emulator: ProviderEmulator) => Record<string, unknown>
  /** Sets the responses that the GET already needs, such as a discovery document. */
  beforeBegin?: (emulator: ProviderEmulator) => void
  /** Sets the emulator's responses for this sign-in. */
  routes: (emulator: ProviderEmulator, authorization: Authorization) => void | Promise<void>
  /** Extra POST fields, such as Apple's `user`. */
  post?: Record<string, string>
  expected: ExpectedIdentity
  /** Extra checks on the authorization URL and on what the emulator received. */
  check?: (emulator: ProviderEmulator, authorization: Authorization) => void | Promise<void>
}

function bearer (request: RecordedRequest | undefined): string | undefined {
  return request?.headers.authorization as string | undefined
}

function tokenAnswer (extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, ...extra }
}

function basicAuth (): string {
  return `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
}

/** Routes of an OpenID preset: a token response with a signed id_token, and a userinfo response. */
function openIdRoutes (claims: Record<string, unknown>, userinfo: Record<string, unknown>, tokenPath = '/token', userinfoPath = '/userinfo') {
  return async (emulator: ProviderEmulator, authorization: Authorization): Promise<void> => {
    const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, nonce: authorization.nonce ?? undefined, ...claims })
    emulator.route(`POST ${tokenPath}`, () => tokenAnswer({ id_token: idToken, scope: 'openid email profile' }))
    emulator.route(`GET ${userinfoPath}`, () => userinfo)
  }
}

const { privateKey: applePrivateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const APPLE_KEY_PEM = applePrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

const cases: PresetCase[] = [
  {
    title: 'google maps the id_token and userinfo',
    name: 'google',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator), authorizationParams: { access_type: 'offline', hd: 'example.test' } }),
    routes: openIdRoutes(
      { sub: '10769150350006150715113082367', email: 'jane@example.test', email_verified: true },
      { sub: '10769150350006150715113082367', email: 'jane@example.test', email_verified: true, name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', picture: 'https://lh3.example.test/a/photo.jpg', hd: 'example.test' }
    ),
    expected: { uid: '10769150350006150715113082367', email: 'jane@example.test', emailVerified: true, username: null, name: 'Jane Doe', firstName: 'Jane', lastName: 'Doe', picture: 'https://lh3.example.test/a/photo.jpg' },
    check: (_emulator, { url }) => {
      assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['openid', 'email', 'profile'])
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
      assert.equal(url.searchParams.get('access_type'), 'offline')
      assert.equal(url.searchParams.get('hd'), 'example.test')
    }
  },
  {
    title: 'github with a public verified email',
    name: 'github',
    options: (emulator) => ({ baseUrl: emulator.url }),
    routes: (emulator) => {
      emulator.route('POST /login/oauth/access_token', () => ({ access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'read:user,user:email' }))
      emulator.route('GET /api/v3/user', () => ({ login: 'octocat', id: 583231, avatar_url: 'https://avatars.example.test/u/583231', name: 'The Octocat', email: 'octocat@example.test' }))
      emulator.route('GET /api/v3/user/emails', () => [
        { email: 'octocat@example.test', primary: true, verified: true, visibility: 'public' },
        { email: 'other@example.test', primary: false, verified: false, visibility: null }
      ])
    },
    expected: { uid: '583231', email: 'octocat@example.test', emailVerified: true, username: 'octocat', name: 'The Octocat', firstName: null, lastName: null, picture: 'https://avatars.example.test/u/583231' },
    check: (emulator, { url }) => {
      assert.equal(url.origin + url.pathname, `${emulator.url}/login/oauth/authorize`)
      assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['read:user', 'user:email'])
      const user = emulator.last('GET /api/v3/user')
      assert.equal(bearer(user), `Bearer ${ACCESS_TOKEN}`)
      assert.equal(user?.headers['user-agent'], 'fastify-social-auth')
      assert.equal(user?.headers['x-github-api-version'], '2022-11-28')
      const token = emulator.last('POST /login/oauth/access_token')
      assert.equal(token?.headers.accept, 'application/json')
      assert.equal((token?.body as Record<string, string>).client_secret, CLIENT_SECRET)
    }
  },
  {
    title: 'github without a public email takes the primary verified one',
    name: 'github',
    options: (emulator) => ({ baseUrl: emulator.url }),
    routes: (emulator) => {
      emulator.route('POST /login/oauth/access_token', () => ({ access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'read:user,user:email' }))
      emulator.route('GET /api/v3/user', () => ({ login: 'hubot', id: 1, avatar_url: null, name: null, email: null }))
      emulator.route('GET /api/v3/user/emails', () => [
        { email: 'old@example.test', primary: false, verified: true, visibility: null },
        { email: 'hubot@example.test', primary: true, verified: true, visibility: 'private' }
      ])
    },
    expected: { uid: '1', email: 'hubot@example.test', emailVerified: true, username: 'hubot', name: null, firstName: null, lastName: null, picture: null }
  },
  {
    title: 'github with only unverified emails reports unverified',
    name: 'github',
    options: (emulator) => ({ baseUrl: emulator.url }),
    routes: (emulator) => {
      emulator.route('POST /login/oauth/access_token', () => ({ access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'read:user,user:email' }))
      emulator.route('GET /api/v3/user', () => ({ login: 'newbie', id: 2, email: null }))
      emulator.route('GET /api/v3/user/emails', () => [{ email: 'newbie@example.test', primary: true, verified: false, visibility: 'private' }])
    },
    expected: { uid: '2', email: 'newbie@example.test', emailVerified: false, username: 'newbie', name: null, firstName: null, lastName: null, picture: null }
  },
  {
    title: 'github public email without the emails scope is unverified',
    name: 'github',
    options: (emulator) => ({ baseUrl: emulator.url, scope: ['read:user'] }),
    routes: (emulator) => {
      emulator.route('POST /login/oauth/access_token', () => ({ access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'read:user' }))
      emulator.route('GET /api/v3/user', () => ({ login: 'public', id: 3, email: 'public@example.test' }))
      emulator.route('GET /api/v3/user/emails', (_request, reply) => reply.code(404).send({ message: 'Not Found' }))
    },
    expected: { uid: '3', email: 'public@example.test', emailVerified: false, username: 'public', name: null, firstName: null, lastName: null, picture: null }
  },
  {
    title: 'gitlab self-managed through its base URL',
    name: 'gitlab',
    options: (emulator) => ({ baseUrl: emulator.url }),
    routes: async (emulator, authorization) => {
      emulator.route('GET /oauth/discovery/keys', () => emulator.jwks())
      await openIdRoutes(
        { sub: '1234567', email: 'dev@example.test', email_verified: true },
        { sub: '1234567', name: 'Dev Eloper', nickname: 'dev', preferred_username: 'dev', email: 'dev@example.test', email_verified: true, picture: 'https://gitlab.example.test/uploads/avatar.png' },
        '/oauth/token',
        '/oauth/userinfo'
      )(emulator, authorization)
    },
    expected: { uid: '1234567', email: 'dev@example.test', emailVerified: true, username: 'dev', name: 'Dev Eloper', firstName: null, lastName: null, picture: 'https://gitlab.example.test/uploads/avatar.png' },
    check: (emulator, { url }) => {
      assert.equal(url.origin + url.pathname, `${emulator.url}/oauth/authorize`)
    }
  },
  {
    title: 'microsoft common accepts the user tenant issuer',
    name: 'microsoft',
    options: (emulator) => ({ authority: emulator.url, endpoints: { userinfoEndpoint: `${emulator.url}/userinfo` } }),
    routes: async (emulator, authorization) => {
      const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47'
      emulator.route('GET /common/discovery/v2.0/keys', () => emulator.jwks())
      await openIdRoutes(
        { iss: `${emulator.url}/${tid}/v2.0`, tid, sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', oid: '00000000-0000-0000-66f3-3332eca7ea81', email: 'abe@contoso.example', preferred_username: 'abe@contoso.example', xms_edov: true },
        { sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', name: 'Abe Lincoln', given_name: 'Abe', family_name: 'Lincoln', email: 'abe@contoso.example' },
        '/common/oauth2/v2.0/token'
      )(emulator, authorization)
    },
    expected: { uid: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', email: 'abe@contoso.example', emailVerified: true, username: 'abe@contoso.example', name: 'Abe Lincoln', firstName: 'Abe', lastName: 'Lincoln', picture: null },
    check: (emulator, { url }) => {
      assert.equal(url.origin + url.pathname, `${emulator.url}/common/oauth2/v2.0/authorize`)
    }
  },
  {
    title: 'microsoft without xms_edov leaves the email unverified',
    name: 'microsoft',
    options: (emulator) => ({ authority: emulator.url, tenant: 'organizations', endpoints: { userinfoEndpoint: `${emulator.url}/userinfo` } }),
    routes: async (emulator, authorization) => {
      const tid = '9188040d-6c67-4c5b-b112-36a304b66dad'
      emulator.route('GET /organizations/discovery/v2.0/keys', () => emulator.jwks())
      await openIdRoutes(
        { iss: `${emulator.url}/${tid}/v2.0`, tid, sub: 'pairwise-sub', email: 'someone@outlook.example' },
        { sub: 'pairwise-sub', email: 'someone@outlook.example' },
        '/organizations/oauth2/v2.0/token'
      )(emulator, authorization)
    },
    expected: { uid: 'pairwise-sub', email: 'someone@outlook.example', emailVerified: false, username: null, name: null, firstName: null, lastName: null, picture: null }
  },
  {
    title: 'apple maps the first sign-in user field and generates the client secret',
    name: 'apple',
    options: (emulator) => ({ clientSecret: undefined, teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: APPLE_KEY_PEM, endpoints: emulatedEndpoints(emulator) }),
    routes: async (emulator, authorization) => {
      const idToken = await emulator.idToken({
        iss: emulator.url,
        aud: CLIENT_ID,
        sub: '001234.abcdef0123456789.1234',
        nonce: authorization.nonce ?? undefined,
        email: 'xyz123@privaterelay.appleid.com',
        email_verified: 'true',
        is_private_email: 'true'
      })
      emulator.route('POST /token', () => tokenAnswer({ id_token: idToken, refresh_token: 'apple-refresh' }))
    },
    post: { user: JSON.stringify({ name: { firstName: 'Tim', lastName: 'Apple' }, email: 'attacker@example.test' }) },
    expected: { uid: '001234.abcdef0123456789.1234', email: 'xyz123@privaterelay.appleid.com', emailVerified: true, username: null, name: 'Tim Apple', firstName: 'Tim', lastName: 'Apple', picture: null },
    check: async (emulator, { url }) => {
      assert.equal(url.searchParams.get('response_mode'), 'form_post')
      assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['name', 'email'])
      assert.equal(url.searchParams.get('code_challenge'), null)
      const body = emulator.last('POST /token')?.body as Record<string, string>
      assert.equal(body.client_id, CLIENT_ID)
      const publicKey = createPublicKey(applePrivateKey)
      const { payload, protectedHeader } = await jwtVerify(body.client_secret ?? '', publicKey, { algorithms: ['ES256'] })
      assert.equal(protectedHeader.kid, 'KEY1234567')
      assert.equal(payload.iss, 'TEAM123456')
      assert.equal(payload.sub, CLIENT_ID)
      assert.equal(payload.aud, 'https://appleid.apple.com')
      assert.ok((payload.exp ?? 0) - (payload.iat ?? 0) <= 15_777_000, 'Apple accepts at most six months')
    }
  },
  {
    title: 'apple without the user field has no name',
    name: 'apple',
    options: (emulator) => ({ clientSecret: undefined, teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: APPLE_KEY_PEM, endpoints: emulatedEndpoints(emulator) }),
    routes: async (emulator, authorization) => {
      const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, sub: 'apple-2', nonce: authorization.nonce ?? undefined, email: 'me@example.test', email_verified: false })
      emulator.route('POST /token', () => tokenAnswer({ id_token: idToken }))
    },
    expected: { uid: 'apple-2', email: 'me@example.test', emailVerified: false, username: null, name: null, firstName: null, lastName: null, picture: null }
  },
  {
    title: 'facebook reads /me with explicit fields and appsecret_proof',
    name: 'facebook',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /me', () => ({
        id: '10158271716411234',
        name: 'Mark Example',
        email: 'mark@example.test',
        first_name: 'Mark',
        last_name: 'Example',
        picture: { data: { height: 200, is_silhouette: false, url: 'https://graph.example.test/picture.jpg', width: 200 } }
      }))
    },
    expected: { uid: '10158271716411234', email: 'mark@example.test', emailVerified: false, username: null, name: 'Mark Example', firstName: 'Mark', lastName: 'Example', picture: 'https://graph.example.test/picture.jpg' },
    check: (emulator) => {
      const me = emulator.last('GET /me')
      assert.equal(me?.query.fields, 'id,name,email,first_name,last_name,picture.type(large)')
      assert.equal(me?.query.appsecret_proof, createHmac('sha256', CLIENT_SECRET).update(ACCESS_TOKEN).digest('hex'))
    }
  },
  {
    title: 'facebook account without email maps to null',
    name: 'facebook',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /me', () => ({ id: '42', name: 'Phone Only' }))
    },
    expected: { uid: '42', email: null, emailVerified: false, username: null, name: 'Phone Only', firstName: null, lastName: null, picture: null }
  },
  {
    title: 'discord verified email',
    name: 'discord',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ scope: 'identify email' }))
      emulator.route('GET /users/@me', () => ({ id: '80351110224678912', username: 'nelly', global_name: 'Nelly', discriminator: '0', avatar: 'a_8342729096ea3675442027381ff50dfe', email: 'nelly@example.test', verified: true }))
    },
    expected: { uid: '80351110224678912', email: 'nelly@example.test', emailVerified: true, username: 'nelly', name: 'Nelly', firstName: null, lastName: null, picture: 'https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif' },
    check: (_emulator, { url }) => {
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
    }
  },
  {
    title: 'discord unverified email',
    name: 'discord',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /users/@me', () => ({ id: '1', username: 'fresh', avatar: null, email: 'fresh@example.test', verified: false }))
    },
    expected: { uid: '1', email: 'fresh@example.test', emailVerified: false, username: 'fresh', name: 'fresh', firstName: null, lastName: null, picture: null }
  },
  {
    title: 'linkedin through OpenID Connect',
    name: 'linkedin',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: openIdRoutes(
      { sub: '782bbtaQ', email: 'li@example.test', email_verified: true },
      { sub: '782bbtaQ', name: 'Li Example', given_name: 'Li', family_name: 'Example', picture: 'https://media.example.test/li.jpg', email: 'li@example.test', email_verified: true, locale: { country: 'US', language: 'en' } }
    ),
    expected: { uid: '782bbtaQ', email: 'li@example.test', emailVerified: true, username: null, name: 'Li Example', firstName: 'Li', lastName: 'Example', picture: 'https://media.example.test/li.jpg' }
  },
  {
    title: 'twitter without the email scope has no email',
    name: 'twitter',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ scope: 'users.read tweet.read' }))
      emulator.route('GET /users/me', () => ({ data: { id: '2244994945', name: 'X Dev', username: 'XDevelopers', profile_image_url: 'https://pbs.example.test/x.jpg' } }))
    },
    expected: { uid: '2244994945', email: null, emailVerified: false, username: 'XDevelopers', name: 'X Dev', firstName: null, lastName: null, picture: 'https://pbs.example.test/x.jpg' },
    check: (emulator, { url }) => {
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
      assert.equal(emulator.last('GET /users/me')?.query['user.fields'], 'profile_image_url')
      assert.equal(emulator.last('POST /token')?.headers.authorization, basicAuth())
    }
  },
  {
    title: 'twitter with users.email takes the confirmed email',
    name: 'twitter',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator), scope: ['users.read', 'tweet.read', 'users.email'] }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ scope: 'users.read tweet.read users.email' }))
      emulator.route('GET /users/me', () => ({ data: { id: '2244994945', name: 'X Dev', username: 'XDevelopers', confirmed_email: 'dev@x.example.test' } }))
    },
    expected: { uid: '2244994945', email: 'dev@x.example.test', emailVerified: true, username: 'XDevelopers', name: 'X Dev', firstName: null, lastName: null, picture: null }
  },
  {
    title: 'slack through OpenID Connect',
    name: 'slack',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: openIdRoutes(
      { sub: 'U0R7JM', 'https://slack.com/team_id': 'T0R7GR' },
      { ok: true, sub: 'U0R7JM', 'https://slack.com/user_id': 'U0R7JM', 'https://slack.com/team_id': 'T0R7GR', email: 'krane@example.test', email_verified: true, name: 'krane', given_name: 'Bront', family_name: 'Labradoodle', picture: 'https://secure.example.test/avatar.jpg' }
    ),
    expected: { uid: 'U0R7JM', email: 'krane@example.test', emailVerified: true, username: null, name: 'krane', firstName: 'Bront', lastName: 'Labradoodle', picture: 'https://secure.example.test/avatar.jpg' }
  },
  {
    title: 'bitbucket takes the uuid and the confirmed primary email',
    name: 'bitbucket',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ scopes: 'account email' }))
      emulator.route('GET /user', () => ({ uuid: '{d301aafa-d676-4ee0-88be-962be7417567}', account_id: '557058:b1b1', username: 'tutorials', display_name: 'Tutorials Account', nickname: 'tutorials', links: { avatar: { href: 'https://bitbucket.example.test/avatar.png' } } }))
      emulator.route('GET /user/emails', () => ({ values: [{ email: 'secondary@example.test', is_primary: false, is_confirmed: true }, { email: 'tutorials@example.test', is_primary: true, is_confirmed: true }] }))
    },
    expected: { uid: '{d301aafa-d676-4ee0-88be-962be7417567}', email: 'tutorials@example.test', emailVerified: true, username: 'tutorials', name: 'Tutorials Account', firstName: null, lastName: null, picture: 'https://bitbucket.example.test/avatar.png' },
    check: (emulator) => {
      assert.equal(emulator.last('POST /token')?.headers.authorization, basicAuth())
    }
  },
  {
    title: 'spotify email is never verified',
    name: 'spotify',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /me', () => ({ id: 'wizzler', display_name: 'Wizzler', email: 'wizzler@example.test', images: [{ url: 'https://i.example.test/w.jpg', height: 300, width: 300 }] }))
    },
    expected: { uid: 'wizzler', email: 'wizzler@example.test', emailVerified: false, username: 'wizzler', name: 'Wizzler', firstName: null, lastName: null, picture: 'https://i.example.test/w.jpg' }
  },
  {
    title: 'twitch asks for its claims by name',
    name: 'twitch',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: async (emulator, authorization) => {
      const idToken = await emulator.idToken({ iss: emulator.url, aud: CLIENT_ID, sub: '713936733', nonce: authorization.nonce ?? undefined, preferred_username: 'twitchdev', email: 'dev@twitch.example.test', email_verified: true, picture: 'https://static.example.test/p.png' })
      emulator.route('POST /token', () => tokenAnswer({ id_token: idToken, scope: ['openid', 'user:read:email'] }))
      emulator.route('GET /userinfo', () => ({ sub: '713936733', preferred_username: 'twitchdev', email: 'dev@twitch.example.test', email_verified: true, picture: 'https://static.example.test/p.png' }))
    },
    expected: { uid: '713936733', email: 'dev@twitch.example.test', emailVerified: true, username: 'twitchdev', name: null, firstName: null, lastName: null, picture: 'https://static.example.test/p.png' },
    check: (_emulator, { url }) => {
      const claims = JSON.parse(url.searchParams.get('claims') ?? '{}')
      assert.ok('email_verified' in claims.id_token)
    }
  },
  {
    title: 'vkontakte takes the email from the token answer',
    name: 'vkontakte',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ user_id: 66748, email: 'durov@example.test' }))
      emulator.route('GET /users.get', () => ({ response: [{ id: 66748, first_name: 'Pavel', last_name: 'Durov', screen_name: 'durov', photo_200: 'https://sun.example.test/p.jpg' }] }))
    },
    expected: { uid: '66748', email: 'durov@example.test', emailVerified: false, username: 'durov', name: 'Pavel Durov', firstName: 'Pavel', lastName: 'Durov', picture: 'https://sun.example.test/p.jpg' }
  },
  {
    title: 'yandex uses the OAuth authorization scheme',
    name: 'yandex',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /info', () => ({ id: '1000034426', login: 'ivan', default_email: 'ivan@yandex.example', first_name: 'Ivan', last_name: 'Ivanov', display_name: 'ivan', real_name: 'Ivan Ivanov', default_avatar_id: '131652443', is_avatar_empty: false }))
    },
    expected: { uid: '1000034426', email: 'ivan@yandex.example', emailVerified: false, username: 'ivan', name: 'Ivan Ivanov', firstName: 'Ivan', lastName: 'Ivanov', picture: 'https://avatars.yandex.net/get-yapic/131652443/islands-200' },
    check: (emulator) => {
      assert.equal(bearer(emulator.last('GET /info')), `OAuth ${ACCESS_TOKEN}`)
    }
  },
  {
    title: 'epicgames has no email',
    name: 'epicgames',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ account_id: '7f1a2b3c' }))
      emulator.route('GET /userInfo', () => ({ sub: '7f1a2b3c', preferred_username: 'EpicPlayer' }))
    },
    expected: { uid: '7f1a2b3c', email: null, emailVerified: false, username: 'EpicPlayer', name: 'EpicPlayer', firstName: null, lastName: null, picture: null }
  },
  {
    title: 'reddit has no email and strips the icon query',
    name: 'reddit',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /api/v1/me', () => ({ id: 'abc12', name: 'spez', icon_img: 'https://styles.example.test/icon.png?width=256&amp;s=abc', has_verified_email: true }))
    },
    expected: { uid: 'abc12', email: null, emailVerified: false, username: 'spez', name: 'spez', firstName: null, lastName: null, picture: 'https://styles.example.test/icon.png' },
    check: (emulator) => {
      assert.equal(emulator.last('POST /token')?.headers.authorization, basicAuth())
      assert.equal(emulator.last('GET /api/v1/me')?.headers['user-agent'], 'fastify-social-auth')
    }
  },
  {
    title: 'zoom verified flag is an integer',
    name: 'zoom',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /users/me', () => ({ id: 'KDcuGIm1QgePTO8WbOqwIQ', first_name: 'Jill', last_name: 'Chill', display_name: 'Jill Chill', email: 'jill@example.test', verified: 1, pic_url: 'https://zoom.example.test/p.jpg' }))
    },
    expected: { uid: 'KDcuGIm1QgePTO8WbOqwIQ', email: 'jill@example.test', emailVerified: true, username: null, name: 'Jill Chill', firstName: 'Jill', lastName: 'Chill', picture: 'https://zoom.example.test/p.jpg' },
    check: (_emulator, { url }) => {
      assert.equal(url.searchParams.has('scope'), false, 'scopes come from the console, so none is sent')
    }
  },
  {
    title: 'dropbox posts to get_current_account',
    name: 'dropbox',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc' }))
      emulator.route('POST /users/get_current_account', () => ({ account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', name: { given_name: 'Franz', surname: 'Ferdinand', display_name: 'Franz Ferdinand (Personal)' }, email: 'franz@example.test', email_verified: true, profile_photo_url: 'https://dl.example.test/photo' }))
    },
    expected: { uid: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', email: 'franz@example.test', emailVerified: true, username: null, name: 'Franz Ferdinand (Personal)', firstName: 'Franz', lastName: 'Ferdinand', picture: 'https://dl.example.test/photo' }
  },
  {
    title: 'atlassian asks for the API audience',
    name: 'atlassian',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({ scope: 'read:me' }))
      emulator.route('GET /me', () => ({ account_id: '5b10ac8d82e05b22cc7d4ef5', email: 'mia@example.test', name: 'Mia Krystof', nickname: 'mia', picture: 'https://avatar.example.test/mia.png', account_status: 'active' }))
    },
    expected: { uid: '5b10ac8d82e05b22cc7d4ef5', email: 'mia@example.test', emailVerified: false, username: 'mia', name: 'Mia Krystof', firstName: null, lastName: null, picture: 'https://avatar.example.test/mia.png' },
    check: (_emulator, { url }) => {
      assert.equal(url.searchParams.get('audience'), 'api.atlassian.com')
      assert.equal(url.searchParams.get('prompt'), 'consent')
    }
  },
  {
    title: 'notion takes the owner from the token answer',
    name: 'notion',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer({
        bot_id: 'b1',
        workspace_id: 'w1',
        workspace_name: 'Acme',
        owner: { type: 'user', user: { object: 'user', id: 'e79a0b74-3aba-4149-9f74-0bb5791a6ee6', name: 'Avo Cado', avatar_url: 'https://notion.example.test/a.png', type: 'person', person: { email: 'avo@example.test' } } }
      }))
    },
    expected: { uid: 'e79a0b74-3aba-4149-9f74-0bb5791a6ee6', email: 'avo@example.test', emailVerified: false, username: null, name: 'Avo Cado', firstName: null, lastName: null, picture: 'https://notion.example.test/a.png' },
    check: (_emulator, { url }) => {
      assert.equal(url.searchParams.get('owner'), 'user')
    }
  },
  {
    title: 'vatsim maps the cid',
    name: 'vatsim',
    options: (emulator) => ({ endpoints: emulatedEndpoints(emulator) }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /api/user', () => ({ data: { cid: 1234567, personal: { name_first: 'Web', name_last: 'Two', name_full: 'Web Two', email: 'auth.dev2@vatsim.example' } } }))
    },
    expected: { uid: '1234567', email: 'auth.dev2@vatsim.example', emailVerified: false, username: null, name: 'Web Two', firstName: 'Web', lastName: 'Two', picture: null }
  },
  {
    title: 'generic oidc finds endpoints through discovery',
    name: 'corp',
    options: (emulator) => ({ type: 'oidc', issuer: emulator.url }),
    beforeBegin: (emulator) => {
      emulator.route('GET /.well-known/openid-configuration', () => ({
        issuer: emulator.url,
        authorization_endpoint: `${emulator.url}/authorize`,
        token_endpoint: `${emulator.url}/token`,
        userinfo_endpoint: `${emulator.url}/userinfo`,
        jwks_uri: `${emulator.url}/jwks`,
        id_token_signing_alg_values_supported: ['RS256']
      }))
    },
    routes: async (emulator, authorization) => {
      await openIdRoutes({ sub: 'employee-7', email: 'e7@corp.example', email_verified: true }, { sub: 'employee-7', preferred_username: 'e7', name: 'Employee Seven' })(emulator, authorization)
    },
    expected: { uid: 'employee-7', email: 'e7@corp.example', emailVerified: true, username: 'e7', name: 'Employee Seven', firstName: null, lastName: null, picture: null }
  },
  {
    title: 'generic oauth2 maps the profile with the given function',
    name: 'legacy',
    options: (emulator) => ({
      type: 'oauth2',
      authorizationEndpoint: `${emulator.url}/authorize`,
      tokenEndpoint: `${emulator.url}/token`,
      userinfoEndpoint: `${emulator.url}/api/me`,
      scope: ['profile'],
      mapProfile: (profile: Record<string, unknown>) => ({ uid: profile.user_id as string, email: profile.mail as string, emailVerified: profile.mail_confirmed === true, username: profile.handle as string })
    }),
    routes: (emulator) => {
      emulator.route('POST /token', () => tokenAnswer())
      emulator.route('GET /api/me', () => ({ user_id: 99, mail: 'legacy@example.test', mail_confirmed: true, handle: 'old-timer' }))
    },
    expected: { uid: '99', email: 'legacy@example.test', emailVerified: true, username: 'old-timer', name: null, firstName: null, lastName: null, picture: null }
  }
]

describe('provider presets', () => {
  const emulator = new ProviderEmulator()
  const identities: Identity[] = []

  before(async () => { await emulator.start() })
  after(async () => { await emulator.close() })
  beforeEach(() => {
    emulator.reset()
    identities.length = 0
  })

  async function appFor (name: string, options: Record<string, unknown>): Promise<TestApp> {
    return await buildApp({
      providers: { [name]: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options } as never },
      // Discovery first runs when the app is ready, before a case has set the emulator's responses.
      discoveryRetrySeconds: 0,
      resolveUser: async (identity) => {
        identities.push(identity)
        return { id: `${identity.provider}:${identity.uid}` }
      }
    })
  }

  async function begin (testApp: TestApp, name: string): Promise<Authorization> {
    const response = await testApp.begin(name)
    assert.equal(response.statusCode, 200, response.body)
    const url = new URL(response.json().authorization_url)
    return { url, state: url.searchParams.get('state') ?? '', nonce: url.searchParams.get('nonce') }
  }

  for (const presetCase of cases) {
    it(presetCase.title, async () => {
      presetCase.beforeBegin?.(emulator)
      const testApp = await appFor(presetCase.name, presetCase.options(emulator))
      try {
        const authorization = await begin(testApp, presetCase.name)
        assert.equal(authorization.url.searchParams.get('client_id'), CLIENT_ID)
        assert.equal(authorization.url.searchParams.get('redirect_uri'), REDIRECT_URI)
        await presetCase.routes(emulator, authorization)

        const response = await testApp.app.inject({
          method: 'POST',
          url: `/o/${presetCase.name}/`,
          payload: { code: 'emulator-code', state: authorization.state, ...presetCase.post }
        })
        assert.equal(response.statusCode, 201, response.body)

        const identity = identities[0]
        assert.ok(identity, 'resolveUser received an identity')
        assert.equal(identity.provider, presetCase.name)
        for (const [field, value] of Object.entries(presetCase.expected)) {
          assert.deepEqual(identity[field as keyof ExpectedIdentity], value, `identity.${field}`)
        }
        assert.equal(identity.tokens.accessToken, ACCESS_TOKEN)
        await presetCase.check?.(emulator, authorization)
      } finally {
        await testApp.app.close()
      }
    })
  }
})
