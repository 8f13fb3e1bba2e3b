import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, idString, pick, plainEndpoints } from './shared.js'

/** Dropbox. `get_current_account` is a POST without a body, and reports `email_verified`. */
export const dropbox: Preset = {
  id: 'dropbox',
  aliases: ['dropbox-oauth2'],
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://www.dropbox.com/oauth2/authorize',
      tokenEndpoint: 'https://api.dropboxapi.com/oauth2/token',
      apiBaseUrl: 'https://api.dropboxapi.com/2'
    }),
    idToken: null,
    pkce: true,
    scope: ['account_info.read'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: dropboxProfile
  })
}

async function dropboxProfile (context: ProfileContext): Promise<ProfileFields> {
  const account = await context.fetchJson(`${apiBase(context)}/users/get_current_account`, {
    endpoint: 'get_current_account',
    method: 'POST',
    headers: { authorization: `Bearer ${context.tokens.accessToken}` }
  })
  if (!isObject(account)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'get_current_account returned JSON that is not an object')
  const email = stringOrNull(account.email)
  return {
    uid: idString(account.account_id),
    email,
    emailVerified: email !== null && account.email_verified === true,
    username: null,
    name: stringOrNull(pick(account, 'name.display_name')),
    firstName: stringOrNull(pick(account, 'name.given_name')),
    lastName: stringOrNull(pick(account, 'name.surname')),
    picture: stringOrNull(account.profile_photo_url),
    raw: account
  }
}
