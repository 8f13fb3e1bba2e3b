import { SocialAuthOptionsError } from '../errors.js'
import { checkRedirectUriList } from '../redirect-uri.js'
import type { ProviderRuntime, ProviderSpec, ResolvedEndpoints } from './oauth2-provider.js'
import {
  checkAlgorithms, checkAuthorizationParams, checkEndpointOverrides, checkScopes, optionalBoolean, rejectUnknownOptions, requireString
} from './options.js'
import type { AccessTokenCheck, EndpointOverrides, Endpoints, IdTokenPolicy, ProfileFetcher } from './types.js'

/** Options every provider entry accepts. */
export interface CommonProviderOptions {
  /** Preset or generic type. Default: the entry's name, when it names a preset or one of its aliases. */
  type?: string
  clientId: string
  clientSecret?: string
  /** Scopes of every authorization request, in place of the preset's defaults. */
  scope?: string[]
  /** Extra scopes a client may request on GET with `scope`. Default none. */
  allowedScopes?: string[]
  /** `prompt` values a client may request on GET, such as `login` or `select_account`. Default none. */
  allowedPrompts?: string[]
  /** Let a client pass `login_hint` on GET. Default false. */
  allowLoginHint?: boolean
  /** Redirect URIs for this provider only, in place of the global list. */
  redirectUris?: string[]
  /** Fixed extra authorization request parameters, such as `prompt`, `login_hint`, `access_type` or `hd`. */
  authorizationParams?: Record<string, string>
  /** Send a PKCE S256 challenge. Default: the preset's, which is true wherever the provider supports PKCE. */
  pkce?: boolean
  /** Replaces any of the preset's endpoints: for a proxy, a sovereign cloud or a test server. */
  endpoints?: EndpointOverrides
  /** id_token signature algorithms to accept (OpenID providers), among the asymmetric ones. */
  idTokenAlgorithms?: string[]
  /** Client authentication method at the token endpoint. Default: the preset's. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post'
  /**
   * Let POST carry an id_token that a native app got from the provider's SDK, in place of a code
   * and a state (OpenID providers only). Default false.
   */
  allowIdTokenSignIn?: boolean
  /**
   * Client ids of the native apps, by platform, such as `{ ios: '…', android: ['…', '…'] }`, accepted
   * as id_token audiences besides `clientId`.
   */
  clientIds?: Record<string, string | string[]>
  /** With `allowIdTokenSignIn`: the id_token must carry a nonce, and POST the raw nonce. Default true. */
  requireIdTokenNonce?: boolean
  /**
   * With `allowIdTokenSignIn`: what the app passed to the SDK as the nonce. `sha256` (default): the
   * SHA-256 of the raw nonce, in hex or base64url, so that only the app can send the raw value.
   * `raw`: the nonce itself, which the token then shows to anyone holding it.
   */
  idTokenNonceForm?: 'raw' | 'sha256'
  /** Let POST carry a provider access token, which the provider confirms was issued to this app (Facebook only). Default false. */
  allowAccessTokenSignIn?: boolean
}

export const COMMON_OPTIONS = [
  'type', 'clientId', 'clientSecret', 'scope', 'allowedScopes', 'allowedPrompts', 'allowLoginHint', 'redirectUris', 'authorizationParams', 'pkce', 'endpoints',
  'idTokenAlgorithms', 'tokenEndpointAuthMethod', 'allowIdTokenSignIn', 'clientIds', 'requireIdTokenNonce', 'idTokenNonceForm',
  'allowAccessTokenSignIn'
] as const

/** A preset's part of a provider, given the entry's options. */
export interface PresetDefinition {
  endpoints: Endpoints
  /** Resolves endpoints at set-up instead of using `endpoints` as they are: OpenID discovery. */
  discover?: (overrides: EndpointOverrides) => Promise<ResolvedEndpoints>
  idToken: IdTokenPolicy | null
  pkce: boolean
  scope: string[]
  /** Scopes always added, such as `openid`. */
  requiredScope?: string[]
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | null
  authorizationParams?: Record<string, string>
  scopeAuthorizationParams?: (scope: string[]) => Record<string, string>
  /** Produces the client secret when the preset builds it (Apple). */
  clientSecret?: () => Promise<string>
  profile: ProfileFetcher
  /** Confirms that an access token was issued to this app, for access token sign-in, where the provider can. */
  checkAccessToken?: AccessTokenCheck
}

/** A named provider preset: one small module per provider. */
export interface Preset {
  id: string
  /** python-social-auth backend names that djoser front ends use in URLs. */
  aliases?: readonly string[]
  /** Options of this preset beyond the common ones. */
  options?: readonly string[]
  /** False when the preset builds its own client secret. */
  needsClientSecret?: boolean
  define: (options: Record<string, unknown>, where: string, runtime: ProviderRuntime) => PresetDefinition
}

/**
 * Checks a client id or secret against RFC 6749's VSCHAR set, at registration. A stray newline from
 * an environment file would otherwise fail every sign-in later.
 */
function requireCredential (value: unknown, where: string): string {
  const credential = requireString(value, where)
  if (!/^[\x20-\x7E]+$/.test(credential) || credential.trim() !== credential) {
    throw new SocialAuthOptionsError(`${where} contains whitespace at an end or a character outside printable ASCII; check how it is loaded`)
  }
  return credential
}

/** Merges a preset with the entry's options into a checked provider spec. */
export function buildSpec (
  name: string,
  preset: Preset,
  options: Record<string, unknown>,
  globalRedirectUris: Set<string> | null,
  runtime: ProviderRuntime
): ProviderSpec {
  const where = `providers.${name}`
  rejectUnknownOptions(options, [...COMMON_OPTIONS, ...(preset.options ?? [])], where)
  const clientId = requireCredential(options.clientId, `${where}.clientId`)
  const redirectUris = options.redirectUris === undefined ? null : checkRedirectUriList(options.redirectUris, `${where}.redirectUris`)
  if (redirectUris === null && globalRedirectUris === null) {
    throw new SocialAuthOptionsError(`${where} has no redirect URI; set redirectUris globally or on the provider`)
  }
  const definition = preset.define(options, where, runtime)
  let clientSecret: string | (() => Promise<string>)
  if (definition.clientSecret !== undefined) {
    clientSecret = definition.clientSecret
  } else {
    clientSecret = requireCredential(options.clientSecret, `${where}.clientSecret`)
  }

  const scope = options.scope === undefined ? definition.scope : checkScopes(options.scope, `${where}.scope`)
  const allScopes = [...new Set([...(definition.requiredScope ?? []), ...scope])]
  const allowedScopes = checkScopes(options.allowedScopes ?? [], `${where}.allowedScopes`)
  const allowedPrompts = checkScopes(options.allowedPrompts ?? [], `${where}.allowedPrompts`)
  const allowLoginHint = optionalBoolean(options.allowLoginHint, `${where}.allowLoginHint`) ?? false
  const authorizationParams = { ...definition.authorizationParams, ...checkAuthorizationParams(options.authorizationParams, `${where}.authorizationParams`) }
  const pkce = optionalBoolean(options.pkce, `${where}.pkce`) ?? definition.pkce
  const overrides = checkEndpointOverrides(options.endpoints, `${where}.endpoints`)
  const algorithms = checkAlgorithms(options.idTokenAlgorithms, `${where}.idTokenAlgorithms`)
  const authMethod = options.tokenEndpointAuthMethod
  if (authMethod !== undefined && authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new SocialAuthOptionsError(`${where}.tokenEndpointAuthMethod must be client_secret_basic or client_secret_post`)
  }

  const nativeSignIn = checkNativeSignIn(options, definition, preset.id, where)

  let idToken = definition.idToken
  if (idToken !== null) {
    // An overridden issuer replaces the preset's accepted issuers, so a test or proxy issuer works.
    if (typeof overrides.issuer === 'string' && idToken.issuerMatches === undefined) idToken = { ...idToken, issuers: [overrides.issuer] }
    if (algorithms !== undefined) idToken = { ...idToken, algorithms }
  }

  const discover = definition.discover
  const staticEndpoints: ResolvedEndpoints = { ...definition.endpoints, ...overrides }
  return {
    name,
    type: preset.id,
    clientId,
    clientSecret,
    scope: allScopes,
    allowedScopes,
    allowedPrompts,
    allowLoginHint,
    redirectUris,
    pkce,
    tokenEndpointAuthMethod: (authMethod as ProviderSpec['tokenEndpointAuthMethod'] | undefined) ?? definition.tokenEndpointAuthMethod,
    authorizationParams,
    scopeAuthorizationParams: definition.scopeAuthorizationParams,
    resolveEndpoints: discover === undefined ? async () => staticEndpoints : async () => await discover(overrides),
    idToken,
    profile: definition.profile,
    ...nativeSignIn
  }
}

const PLATFORM = /^[A-Za-z0-9_-]{1,32}$/

/** Checks the options of sign-in with a native app's id_token or access token against what the preset supports. */
function checkNativeSignIn (
  options: Record<string, unknown>,
  definition: PresetDefinition,
  presetId: string,
  where: string
): Pick<ProviderSpec, 'clientIds' | 'idTokenSignInPolicy' | 'accessTokenCheck'> {
  const allowIdToken = optionalBoolean(options.allowIdTokenSignIn, `${where}.allowIdTokenSignIn`) ?? false
  const requireNonce = optionalBoolean(options.requireIdTokenNonce, `${where}.requireIdTokenNonce`) ?? true
  const allowAccessToken = optionalBoolean(options.allowAccessTokenSignIn, `${where}.allowAccessTokenSignIn`) ?? false
  if (allowIdToken && definition.idToken === null) {
    throw new SocialAuthOptionsError(`${where}.allowIdTokenSignIn: ${presetId} is not an OpenID provider and issues no id_token; remove the option`)
  }
  if (!allowIdToken && (options.clientIds !== undefined || options.requireIdTokenNonce !== undefined || options.idTokenNonceForm !== undefined)) {
    throw new SocialAuthOptionsError(`${where}: clientIds, requireIdTokenNonce and idTokenNonceForm apply to id_token sign-in only; set allowIdTokenSignIn: true or remove them`)
  }
  const nonceForm = options.idTokenNonceForm ?? 'sha256'
  if (nonceForm !== 'raw' && nonceForm !== 'sha256') throw new SocialAuthOptionsError(`${where}.idTokenNonceForm must be raw or sha256`)
  if (allowAccessToken && definition.checkAccessToken === undefined) {
    throw new SocialAuthOptionsError(
      `${where}.allowAccessTokenSignIn: ${presetId} offers no way to confirm that an access token was issued to this app; only facebook does`
    )
  }

  const clientIds: string[] = []
  if (options.clientIds !== undefined) {
    const value = options.clientIds
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SocialAuthOptionsError(`${where}.clientIds must be an object of platform names to client ids, such as { ios: '…', android: '…' }`)
    }
    for (const [platform, ids] of Object.entries(value)) {
      if (!PLATFORM.test(platform)) throw new SocialAuthOptionsError(`${where}.clientIds: platform name "${platform}" must be 1 to 32 letters, digits, "-" or "_"`)
      const list: unknown[] = Array.isArray(ids) ? ids : [ids]
      if (list.length === 0) throw new SocialAuthOptionsError(`${where}.clientIds.${platform} is an empty list; give at least one client id`)
      list.forEach((id, index) => clientIds.push(requireCredential(id, `${where}.clientIds.${platform}${Array.isArray(ids) ? `[${index}]` : ''}`)))
    }
  }
  return {
    clientIds,
    idTokenSignInPolicy: allowIdToken ? { requireNonce, nonceForm } : null,
    accessTokenCheck: allowAccessToken ? definition.checkAccessToken ?? null : null
  }
}

export type { ProviderRuntime }
