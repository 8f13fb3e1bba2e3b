import { createHmac } from 'node:crypto'
import { ProviderError, SignInError, SocialAuthOptionsError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import { isObject } from '../http.js'
import type { AccessTokenContext, AccessTokenGrant, ProfileContext, ProfileFields } from '../types.js'
import { apiBase, FASTIFY_PRESETS, getProfileObject, idString, pick, plainEndpoints } from './shared.js'

/** Graph API version. @fastify/oauth2's preset still names v6.0, which Facebook retired. */
const DEFAULT_GRAPH_API_VERSION = 'v23.0'

/**
 * Facebook Login. The profile comes from the Graph API's `/me` with explicit fields, signed with
 * `appsecret_proof`. Facebook asserts no email verification, and an account may have no email.
 * An access token from the mobile SDK can sign in too: the Graph API's `debug_token` confirms that
 * it was issued to this app.
 */
export const facebook: Preset = {
  id: 'facebook',
  options: ['graphApiVersion'],
  define: (options, where) => {
    const version = options.graphApiVersion ?? DEFAULT_GRAPH_API_VERSION
    if (typeof version !== 'string' || !/^v\d+\.\d+$/.test(version)) {
      throw new SocialAuthOptionsError(`${where}.graphApiVersion must look like "${DEFAULT_GRAPH_API_VERSION}"`)
    }
    const preset = FASTIFY_PRESETS.FACEBOOK_CONFIGURATION
    const authorizeHost = preset?.authorizeHost ?? 'https://www.facebook.com'
    const graphHost = preset?.tokenHost ?? 'https://graph.facebook.com'
    return {
      endpoints: plainEndpoints({
        authorizationEndpoint: `${authorizeHost}/${version}/dialog/oauth`,
        tokenEndpoint: `${graphHost}/${version}/oauth/access_token`,
        apiBaseUrl: `${graphHost}/${version}`
      }),
      idToken: null,
      pkce: false,
      scope: ['email', 'public_profile'],
      tokenEndpointAuthMethod: 'client_secret_post',
      profile: facebookProfile,
      checkAccessToken: checkFacebookAccessToken
    }
  }
}

async function facebookProfile (context: ProfileContext): Promise<ProfileFields> {
  return await fetchMe(context, context.tokens.accessToken ?? '')
}

async function fetchMe (context: Pick<ProfileContext, 'clientSecret' | 'endpoints' | 'fetchJson'>, accessToken: string): Promise<ProfileFields> {
  const proof = createHmac('sha256', context.clientSecret).update(accessToken).digest('hex')
  const query = new URLSearchParams({ fields: 'id,name,email,first_name,last_name,picture.type(large)', appsecret_proof: proof })
  const me = await getProfileObject({ ...context, tokens: { accessToken } }, `${apiBase(context)}/me?${query.toString()}`, 'me')
  return {
    uid: idString(me.id),
    email: stringOrNull(me.email),
    emailVerified: false,
    username: null,
    name: stringOrNull(me.name),
    firstName: stringOrNull(me.first_name),
    lastName: stringOrNull(me.last_name),
    picture: stringOrNull(pick(me, 'picture.data.url')),
    raw: me
  }
}

function invalidAccessToken (reason: string): SignInError {
  return new SignInError('ACCESS_TOKEN_INVALID', 'The access token is invalid, expired or issued to another app. Sign in again.', { reason })
}

/**
 * Confirms with `debug_token`, authenticated as the app, that the token is a valid user token of
 * this app, then reads the user with it. Graph API reference: /debug_token.
 */
async function checkFacebookAccessToken (context: AccessTokenContext): Promise<AccessTokenGrant> {
  const query = new URLSearchParams({ input_token: context.accessToken, access_token: `${context.clientId}|${context.clientSecret}` })
  // NOTE: which status Graph gives an unparsable input_token was not checked against the live API.
  // A 400 is taken as the token's fault, so a wrong clientSecret shows as 400 on every such sign-in.
  const body = await context.fetchJson(`${apiBase(context)}/debug_token?${query.toString()}`, { endpoint: 'debug_token', allowStatus: [400] })
  if (body === null) throw invalidAccessToken('debug_token returned HTTP 400: a malformed token, or a wrong clientSecret when every such sign-in fails')
  const data = isObject(body) && isObject(body.data) ? body.data : null
  if (data === null) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'debug_token returned no data object')

  if (data.is_valid !== true) throw invalidAccessToken('debug_token reports the token invalid')
  if ((typeof data.app_id !== 'string' && typeof data.app_id !== 'number') || String(data.app_id) !== context.clientId) {
    throw invalidAccessToken('token was issued to another app')
  }
  if (data.type !== 'USER') throw invalidAccessToken(`token type is ${String(data.type).slice(0, 16)}, not USER`)
  const expiry = data.expires_at
  if (expiry !== undefined && (typeof expiry !== 'number' || !Number.isFinite(expiry) || expiry < 0)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'debug_token returned an expires_at that is not a non-negative number')
  }
  // Facebook sets expires_at to 0 for tokens that do not expire. A missing one is read the same way.
  const expiresAt = expiry === undefined || expiry === 0 ? null : new Date(expiry * 1000)
  if (expiresAt !== null && expiresAt.getTime() <= Date.now()) throw invalidAccessToken('token expired')
  const userId = typeof data.user_id === 'string' || typeof data.user_id === 'number' ? String(data.user_id) : ''
  if (userId === '') throw new ProviderError('PROVIDER_BAD_RESPONSE', 'debug_token returned no user_id')

  const fields = await fetchMe(context, context.accessToken)
  if (fields.uid !== userId) throw new ProviderError('PROVIDER_BAD_RESPONSE', '/me returned another user than debug_token')
  const scopes = Array.isArray(data.scopes) ? data.scopes.filter((scope): scope is string => typeof scope === 'string') : null
  return { fields, expiresAt, scope: scopes === null ? null : scopes.join(' ') }
}
