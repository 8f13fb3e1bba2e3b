import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, getProfileObject, idString, joinName, plainEndpoints } from './shared.js'

/** Zoom. `verified` is 1 when Zoom has verified the user's email. */
export const zoom: Preset = {
  id: 'zoom',
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://zoom.us/oauth/authorize',
      tokenEndpoint: 'https://zoom.us/oauth/token',
      apiBaseUrl: 'https://api.zoom.us/v2'
    }),
    idToken: null,
    pkce: true,
    scope: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: zoomProfile
  })
}

async function zoomProfile (context: ProfileContext): Promise<ProfileFields> {
  const me = await getProfileObject(context, `${apiBase(context)}/users/me`, 'users/me')
  const email = stringOrNull(me.email)
  const firstName = stringOrNull(me.first_name)
  const lastName = stringOrNull(me.last_name)
  return {
    uid: idString(me.id),
    email,
    emailVerified: email !== null && me.verified === 1,
    username: null,
    name: stringOrNull(me.display_name) ?? joinName(firstName, lastName),
    firstName,
    lastName,
    picture: stringOrNull(me.pic_url),
    raw: me
  }
}
