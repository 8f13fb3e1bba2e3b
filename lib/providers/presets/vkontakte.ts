import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, idString, joinName, plainEndpoints } from './shared.js'

const API_VERSION = '5.131'

/**
 * VK (classic OAuth at oauth.vk.com). The token response carries `user_id` and, with the `email`
 * scope, the email, which VK does not mark as verified. The API returns errors with HTTP 200.
 */
export const vkontakte: Preset = {
  id: 'vkontakte',
  aliases: ['vk-oauth2'],
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('VKONTAKTE_CONFIGURATION'), apiBaseUrl: 'https://api.vk.com/method' }),
    idToken: null,
    pkce: false,
    scope: ['email'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: vkontakteProfile
  })
}

async function vkontakteProfile (context: ProfileContext): Promise<ProfileFields> {
  const query = new URLSearchParams({ fields: 'photo_200,screen_name', v: API_VERSION })
  const response = await context.fetchJson(`${apiBase(context)}/users.get?${query.toString()}`, {
    endpoint: 'users.get',
    headers: { authorization: `Bearer ${context.tokens.accessToken}` }
  })
  if (isObject(response) && isObject(response.error)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `users.get returned error ${String(response.error.error_code)}`)
  }
  const user = isObject(response) && Array.isArray(response.response) ? response.response[0] : undefined
  if (!isObject(user)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'users.get returned no user')
  const uid = idString(user.id)
  const tokenUserId = context.tokenResponse.user_id
  if (tokenUserId !== undefined && String(tokenUserId) !== uid) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'users.get returned another user than the token response names')
  }
  const firstName = stringOrNull(user.first_name)
  const lastName = stringOrNull(user.last_name)
  return {
    uid,
    email: stringOrNull(context.tokenResponse.email),
    emailVerified: false,
    username: stringOrNull(user.screen_name),
    name: joinName(firstName, lastName),
    firstName,
    lastName,
    picture: stringOrNull(user.photo_200),
    raw: user
  }
}
