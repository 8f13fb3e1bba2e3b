import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, getProfileObject, pick, plainEndpoints } from './shared.js'

/** Bitbucket Cloud. The `uuid` is the stable id (python-social-auth uses it too), and `/user/emails` marks which address is confirmed. */
export const bitbucket: Preset = {
  id: 'bitbucket',
  aliases: ['bitbucket-oauth2'],
  define: () => ({
    endpoints: plainEndpoints({
      authorizationEndpoint: 'https://bitbucket.org/site/oauth2/authorize',
      tokenEndpoint: 'https://bitbucket.org/site/oauth2/access_token',
      apiBaseUrl: 'https://api.bitbucket.org/2.0'
    }),
    idToken: null,
    pkce: false,
    scope: ['account', 'email'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    profile: bitbucketProfile
  })
}

async function bitbucketProfile (context: ProfileContext): Promise<ProfileFields> {
  const api = apiBase(context)
  const user = await getProfileObject(context, `${api}/user`, 'user')
  const uuid = stringOrNull(user.uuid)
  if (uuid === null) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'user endpoint returned no uuid')
  const emailsAnswer = await context.fetchJson(`${api}/user/emails`, {
    endpoint: 'emails',
    headers: { authorization: `Bearer ${context.tokens.accessToken}` },
    allowStatus: [403]
  })
  const values = isObject(emailsAnswer) && Array.isArray(emailsAnswer.values) ? emailsAnswer.values.filter(isObject) : []
  const primary = values.find((entry) => entry.is_primary === true) ?? values.find((entry) => entry.is_confirmed === true)
  const email = stringOrNull(primary?.email)
  return {
    uid: uuid,
    email,
    emailVerified: email !== null && primary?.is_confirmed === true,
    username: stringOrNull(user.username) ?? stringOrNull(user.nickname),
    name: stringOrNull(user.display_name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(pick(user, 'links.avatar.href')),
    raw: { ...user, emails: values }
  }
}
