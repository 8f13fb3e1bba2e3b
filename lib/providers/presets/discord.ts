import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, plainEndpoints } from './shared.js'

/** Discord. `verified` on the user object says whether its email is verified. */
export const discord: Preset = {
  id: 'discord',
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('DISCORD_CONFIGURATION'), apiBaseUrl: 'https://discord.com/api' }),
    idToken: null,
    pkce: true,
    scope: ['identify', 'email'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: discordProfile
  })
}

async function discordProfile (context: ProfileContext): Promise<ProfileFields> {
  const user = await getProfileObject(context, `${apiBase(context)}/users/@me`, 'user')
  const uid = idString(user.id)
  const email = stringOrNull(user.email)
  const avatar = stringOrNull(user.avatar)
  return {
    uid,
    email,
    emailVerified: email !== null && user.verified === true,
    username: stringOrNull(user.username),
    name: stringOrNull(user.global_name) ?? stringOrNull(user.username),
    firstName: null,
    lastName: null,
    picture: avatar === null ? null : `https://cdn.discordapp.com/avatars/${uid}/${avatar}.${avatar.startsWith('a_') ? 'gif' : 'png'}`,
    raw: user
  }
}
