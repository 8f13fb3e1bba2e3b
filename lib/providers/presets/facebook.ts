import { createHmac } from 'node:crypto'
import { SocialAuthOptionsError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, FASTIFY_PRESETS, getProfileObject, idString, pick, plainEndpoints } from './shared.js'

/** Graph API version. @fastify/oauth2's preset still names v6.0, which Facebook retired. */
const DEFAULT_GRAPH_API_VERSION = 'v23.0'

/**
 * Facebook Login. The profile comes from the Graph API's `/me` with explicit fields, signed with
 * `appsecret_proof`. Facebook asserts no email verification, and an account may have no email.
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
      profile: facebookProfile
    }
  }
}

async function facebookProfile (context: ProfileContext): Promise<ProfileFields> {
  const proof = createHmac('sha256', context.clientSecret).update(context.tokens.accessToken).digest('hex')
  const query = new URLSearchParams({ fields: 'id,name,email,first_name,last_name,picture.type(large)', appsecret_proof: proof })
  const me = await getProfileObject(context, `${apiBase(context)}/me?${query.toString()}`, 'me')
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
