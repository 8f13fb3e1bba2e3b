import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, plainEndpoints } from './shared.js'

/**
 * X (Twitter) with OAuth 2.0 and PKCE. The numeric user id is stable, the handle is not. The email
 * comes only with the `users.email` scope, as `confirmed_email`, which X has confirmed.
 */
export const twitter: Preset = {
  id: 'twitter',
  aliases: ['twitter-oauth2', 'x'],
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('X_CONFIGURATION'), apiBaseUrl: 'https://api.x.com/2' }),
    idToken: null,
    pkce: true,
    scope: ['users.read', 'tweet.read'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: twitterProfile
  })
}

async function twitterProfile (context: ProfileContext): Promise<ProfileFields> {
  const granted = (context.tokens.scope ?? '').split(' ')
  const fields = granted.includes('users.email') ? 'profile_image_url,confirmed_email' : 'profile_image_url'
  const response = await getProfileObject(context, `${apiBase(context)}/users/me?user.fields=${fields}`, 'users/me')
  const user = response.data
  if (!isObject(user)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'users/me endpoint returned no data')
  const email = stringOrNull(user.confirmed_email)
  return {
    uid: idString(user.id),
    email,
    emailVerified: email !== null,
    username: stringOrNull(user.username),
    name: stringOrNull(user.name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(user.profile_image_url),
    raw: user
  }
}
