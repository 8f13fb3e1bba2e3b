import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { idString, pick, plainEndpoints } from './shared.js'

/** Notion. The token response names the user who authorized the integration, so no profile request is needed. */
export const notion: Preset = {
  id: 'notion',
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://api.notion.com/v1/oauth/authorize',
      tokenEndpoint: 'https://api.notion.com/v1/oauth/token',
      apiBaseUrl: 'https://api.notion.com/v1'
    }),
    idToken: null,
    pkce: false,
    scope: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    authorizationParams: { owner: 'user' },
    profile: notionProfile
  })
}

async function notionProfile (context: ProfileContext): Promise<ProfileFields> {
  const user = pick(context.tokenResponse, 'owner.user')
  if (!isObject(user)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token response has no owner.user')
  return {
    uid: idString(user.id),
    email: stringOrNull(pick(user, 'person.email')),
    emailVerified: false,
    username: null,
    name: stringOrNull(user.name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(user.avatar_url),
    raw: { user, workspace_id: context.tokenResponse.workspace_id, workspace_name: context.tokenResponse.workspace_name }
  }
}
