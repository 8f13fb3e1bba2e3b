import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, plainEndpoints } from './shared.js'

/** Epic Games. The account id (`sub`) and display name come from the userInfo endpoint, and no email. */
export const epicgames: Preset = {
  id: 'epicgames',
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('EPIC_GAMES_CONFIGURATION'), apiBaseUrl: 'https://api.epicgames.dev/epic/oauth/v1' }),
    idToken: null,
    pkce: false,
    scope: ['basic_profile'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: epicgamesProfile
  })
}

async function epicgamesProfile (context: ProfileContext): Promise<ProfileFields> {
  const info = await getProfileObject(context, `${apiBase(context)}/userInfo`, 'userInfo')
  return {
    uid: idString(info.sub),
    email: null,
    emailVerified: false,
    username: stringOrNull(info.preferred_username),
    name: stringOrNull(info.preferred_username),
    firstName: null,
    lastName: null,
    picture: null,
    raw: info
  }
}
