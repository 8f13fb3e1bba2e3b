import { stringOrNull } from '../../identity.js'
import { isTrue } from '../oidc.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, getProfileObject, idString, plainEndpoints } from './shared.js'

/** Atlassian (Jira, Confluence, Bitbucket accounts) through OAuth 2.0 (3LO) and the `/me` profile. */
export const atlassian: Preset = {
  id: 'atlassian',
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://auth.atlassian.com/authorize',
      tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
      apiBaseUrl: 'https://api.atlassian.com'
    }),
    idToken: null,
    pkce: false,
    scope: ['read:me'],
    tokenEndpointAuthMethod: 'client_secret_post',
    // Atlassian needs the API audience, and consent lets it issue the token.
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    profile: atlassianProfile
  })
}

async function atlassianProfile (context: ProfileContext): Promise<ProfileFields> {
  const me = await getProfileObject(context, `${apiBase(context)}/me`, 'me')
  const email = stringOrNull(me.email)
  return {
    uid: idString(me.account_id),
    email,
    emailVerified: email !== null && isTrue(me.email_verified),
    username: stringOrNull(me.nickname),
    name: stringOrNull(me.name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(me.picture),
    raw: me
  }
}
