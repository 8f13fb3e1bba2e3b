import { ProviderError, SocialAuthOptionsError } from '../errors.js'
import { stringOrNull } from '../identity.js'
import { isObject } from './http.js'
import { checkUrl, optionalString } from './options.js'
import type { CommonProviderOptions, Preset } from './preset.js'
import type { ProfileContext, ProfileFields } from './types.js'

/** Options of a plain OAuth 2.0 provider whose endpoints and profile mapping the host gives. */
export interface OAuth2ProviderOptions extends CommonProviderOptions {
  type: 'oauth2'
  clientSecret: string
  authorizationEndpoint: string
  tokenEndpoint: string
  /** Profile endpoint, GET with the access token as a Bearer token. Needed unless `fetchProfile` is given. */
  userinfoEndpoint?: string
  /** Maps the profile endpoint's JSON response to identity fields. `uid` is required. */
  mapProfile?: (profile: Record<string, unknown>) => Partial<ProfileFields> & { uid: string }
  /** Fetches and maps the profile itself, in place of `userinfoEndpoint` and `mapProfile`. */
  fetchProfile?: (context: ProfileContext) => Promise<Partial<ProfileFields> & { uid: string }>
}

/** Fills the fields a mapper left out, so every identity has the full shape. */
export function completeProfile (fields: Partial<ProfileFields> & { uid: unknown }, raw: Record<string, unknown>): ProfileFields {
  const uid = typeof fields.uid === 'number' ? String(fields.uid) : fields.uid
  if (typeof uid !== 'string' || uid === '') throw new ProviderError('PROVIDER_BAD_RESPONSE', 'profile mapper returned no uid')
  const email = stringOrNull(fields.email)
  return {
    uid,
    email,
    emailVerified: email !== null && fields.emailVerified === true,
    username: stringOrNull(fields.username),
    name: stringOrNull(fields.name),
    firstName: stringOrNull(fields.firstName),
    lastName: stringOrNull(fields.lastName),
    picture: stringOrNull(fields.picture),
    raw: fields.raw ?? raw
  }
}

export const oauth2: Preset = {
  id: 'oauth2',
  options: ['authorizationEndpoint', 'tokenEndpoint', 'userinfoEndpoint', 'mapProfile', 'fetchProfile'],
  define (options, where) {
    const authorizationEndpoint = checkUrl(options.authorizationEndpoint, `${where}.authorizationEndpoint`)
    const tokenEndpoint = checkUrl(options.tokenEndpoint, `${where}.tokenEndpoint`)
    const userinfoEndpoint = options.userinfoEndpoint === undefined ? null : checkUrl(optionalString(options.userinfoEndpoint, `${where}.userinfoEndpoint`), `${where}.userinfoEndpoint`)
    const { mapProfile, fetchProfile } = options as Pick<OAuth2ProviderOptions, 'mapProfile' | 'fetchProfile'>
    if (fetchProfile !== undefined && typeof fetchProfile !== 'function') throw new SocialAuthOptionsError(`${where}.fetchProfile must be a function`)
    if (mapProfile !== undefined && typeof mapProfile !== 'function') throw new SocialAuthOptionsError(`${where}.mapProfile must be a function`)
    if (fetchProfile === undefined && (userinfoEndpoint === null || mapProfile === undefined)) {
      throw new SocialAuthOptionsError(`${where} needs userinfoEndpoint and mapProfile, or fetchProfile`)
    }
    return {
      endpoints: { authorizationEndpoint, tokenEndpoint, userinfoEndpoint, apiBaseUrl: null, jwksUri: null, issuer: null },
      idToken: null,
      pkce: true,
      scope: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      profile: async (context) => {
        if (fetchProfile !== undefined) return completeProfile(await fetchProfile(context), {})
        const profile = await context.fetchJson(context.endpoints.userinfoEndpoint as string, {
          endpoint: 'userinfo',
          headers: { authorization: `Bearer ${context.tokens.accessToken}` }
        })
        if (!isObject(profile)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'userinfo endpoint returned JSON that is not an object')
        return completeProfile((mapProfile as NonNullable<typeof mapProfile>)(profile), profile)
      }
    }
  }
}
