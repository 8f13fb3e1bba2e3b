import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, getProfileObject, idString, plainEndpoints } from './shared.js'

/** Reddit. Its API needs a User-Agent, which every request carries, and returns no email. */
export const reddit: Preset = {
  id: 'reddit',
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://www.reddit.com/api/v1/authorize',
      tokenEndpoint: 'https://www.reddit.com/api/v1/access_token',
      apiBaseUrl: 'https://oauth.reddit.com'
    }),
    idToken: null,
    pkce: false,
    scope: ['identity'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: redditProfile
  })
}

async function redditProfile (context: ProfileContext): Promise<ProfileFields> {
  const me = await getProfileObject(context, `${apiBase(context)}/api/v1/me`, 'me')
  const icon = stringOrNull(me.icon_img)
  return {
    uid: idString(me.id),
    email: null,
    emailVerified: false,
    username: stringOrNull(me.name),
    name: stringOrNull(me.name),
    firstName: null,
    lastName: null,
    // Reddit's icon URLs carry HTML-escaped query strings that only size the image.
    picture: icon === null ? null : icon.split('?')[0] ?? null,
    raw: me
  }
}
