import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import { checkUrl } from '../options.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, plainEndpoints } from './shared.js'

const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }

/** An entry of GitHub's `GET /user/emails` response. */
interface GithubEmail {
  email: string
  primary: boolean
  verified: boolean
}

/**
 * GitHub, or GitHub Enterprise Server with `baseUrl`. The profile's public email is often empty,
 * so the emails API (scope `user:email`) supplies the primary verified address and shows whether
 * the public one is verified.
 */
export const github: Preset = {
  id: 'github',
  options: ['baseUrl'],
  define: (options, where) => {
    const baseUrl = options.baseUrl === undefined ? null : checkUrl(options.baseUrl, `${where}.baseUrl`)
    const endpoints = baseUrl === null
      ? plainEndpoints({ ...fromFastifyPreset('GITHUB_CONFIGURATION'), apiBaseUrl: 'https://api.github.com' })
      : plainEndpoints({
        authorizationEndpoint: `${baseUrl}/login/oauth/authorize`,
        tokenEndpoint: `${baseUrl}/login/oauth/access_token`,
        apiBaseUrl: `${baseUrl}/api/v3`
      })
    return {
      endpoints,
      idToken: null,
      pkce: true,
      scope: ['read:user', 'user:email'],
      tokenEndpointAuthMethod: 'client_secret_post',
      profile: githubProfile
    }
  }
}

async function githubProfile (context: ProfileContext): Promise<ProfileFields> {
  const api = apiBase(context)
  const user = await getProfileObject(context, `${api}/user`, 'user', GITHUB_HEADERS)
  // Without the user:email scope the emails API returns 403 or 404, and only the public email is known.
  const emailsAnswer = await context.fetchJson(`${api}/user/emails`, {
    endpoint: 'emails',
    headers: { authorization: `Bearer ${context.tokens.accessToken}`, ...GITHUB_HEADERS },
    allowStatus: [403, 404]
  })
  if (emailsAnswer !== null && !Array.isArray(emailsAnswer)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'emails endpoint returned JSON that is not an array')
  }
  const emails = (emailsAnswer ?? []).filter((entry): entry is GithubEmail =>
    isObject(entry) && typeof entry.email === 'string' && typeof entry.primary === 'boolean' && typeof entry.verified === 'boolean')

  let email = stringOrNull(user.email)
  let emailVerified = false
  if (email !== null) {
    emailVerified = emails.some((entry) => entry.email === email && entry.verified)
  } else {
    const primary = emails.find((entry) => entry.primary)
    const chosen = primary?.verified === true ? primary : emails.find((entry) => entry.verified) ?? primary
    email = chosen?.email ?? null
    emailVerified = chosen?.verified ?? false
  }

  return {
    uid: idString(user.id),
    email,
    emailVerified,
    username: stringOrNull(user.login),
    name: stringOrNull(user.name),
    firstName: null,
    lastName: null,
    picture: stringOrNull(user.avatar_url),
    raw: { ...user, emails }
  }
}
