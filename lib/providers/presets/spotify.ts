import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, pick, plainEndpoints } from './shared.js'

/** Spotify. Its profile has an email but no verification flag. */
export const spotify: Preset = {
  id: 'spotify',
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('SPOTIFY_CONFIGURATION'), apiBaseUrl: 'https://api.spotify.com/v1' }),
    idToken: null,
    pkce: true,
    scope: ['user-read-email', 'user-read-private'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: spotifyProfile
  })
}

async function spotifyProfile (context: ProfileContext): Promise<ProfileFields> {
  const me = await getProfileObject(context, `${apiBase(context)}/me`, 'me')
  return {
    uid: idString(me.id),
    email: stringOrNull(me.email),
    emailVerified: false,
    username: stringOrNull(me.id),
    name: stringOrNull(me.display_name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(pick(Array.isArray(me.images) ? me.images[0] : undefined, 'url')),
    raw: me
  }
}
