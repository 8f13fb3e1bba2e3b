import type { JWTPayload } from 'jose'
import { ProviderError } from '../errors.js'
import { stringOrNull } from '../identity.js'
import { fetchJsonObject, isObject } from './http.js'
import type { ResolvedEndpoints } from './oauth2-provider.js'
import { checkIssuer, isSecureUrl } from './options.js'
import type { CommonProviderOptions, Preset } from './preset.js'
import type { EndpointOverrides, ProfileContext, ProfileFields } from './types.js'

/** Options of a generic OpenID Connect provider, found through discovery from its issuer. */
export interface OidcProviderOptions extends CommonProviderOptions {
  type: 'oidc'
  /** Issuer identifier. Discovery reads `{issuer}/.well-known/openid-configuration`, whose `issuer` must equal this exactly. */
  issuer: string
  clientSecret: string
}

/**
 * Reads an OpenID provider's discovery document and checks it: the issuer must equal the configured
 * one exactly (OpenID Connect Discovery 1.0 section 4.3), and every endpoint must be https.
 */
export async function discoverEndpoints (issuer: string, overrides: EndpointOverrides, timeoutMs: number): Promise<ResolvedEndpoints> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const metadata = await fetchJsonObject(url, { endpoint: 'discovery', timeoutMs })
  if (metadata.issuer !== issuer) {
    throw new ProviderError('PROVIDER_MISCONFIGURED', `discovery document issuer ${JSON.stringify(metadata.issuer)} differs from the configured issuer "${issuer}"; set the issuer option to the exact value`)
  }
  return {
    issuer,
    authorizationEndpoint: overrides.authorizationEndpoint ?? metadataUrl(metadata, 'authorization_endpoint', true),
    tokenEndpoint: overrides.tokenEndpoint ?? metadataUrl(metadata, 'token_endpoint', true),
    jwksUri: overrides.jwksUri ?? metadataUrl(metadata, 'jwks_uri', true),
    userinfoEndpoint: overrides.userinfoEndpoint ?? metadataUrl(metadata, 'userinfo_endpoint', false),
    apiBaseUrl: overrides.apiBaseUrl ?? null,
    revocationEndpoint: overrides.revocationEndpoint ?? metadataUrl(metadata, 'revocation_endpoint', false),
    idTokenAlgorithms: stringList(metadata.id_token_signing_alg_values_supported) ?? ['RS256'],
    tokenEndpointAuthMethods: stringList(metadata.token_endpoint_auth_methods_supported) ?? ['client_secret_basic'],
    issuerParameterSupported: metadata.authorization_response_iss_parameter_supported === true
  }
}

function stringList (value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined
}

function metadataUrl (metadata: Record<string, unknown>, field: string, required: true): string
function metadataUrl (metadata: Record<string, unknown>, field: string, required: false): string | null
function metadataUrl (metadata: Record<string, unknown>, field: string, required: boolean): string | null {
  const value = metadata[field]
  if (value === undefined && !required) return null
  if (typeof value !== 'string' || !isSecureUrl(value)) {
    throw new ProviderError('PROVIDER_MISCONFIGURED', `discovery document ${field} is missing or is not an https URL`)
  }
  return value
}

/** True when an OpenID provider asserts the email verified. Some (Amazon Cognito, Apple) send the string "true". */
export function isTrue (value: unknown): boolean {
  return value === true || value === 'true'
}

/** Maps id_token claims and a userinfo response to profile fields. Email and its verification come from the same source. */
export function mapOidcClaims (claims: JWTPayload, userinfo: Record<string, unknown>): ProfileFields {
  const raw: Record<string, unknown> = { ...claims, ...userinfo }
  const emailSource: Record<string, unknown> = typeof userinfo.email === 'string' ? userinfo : claims
  const email = stringOrNull(emailSource.email)
  return {
    uid: String(claims.sub),
    email,
    emailVerified: email !== null && isTrue(emailSource.email_verified),
    username: stringOrNull(raw.preferred_username) ?? stringOrNull(raw.nickname),
    name: stringOrNull(raw.name),
    firstName: stringOrNull(raw.given_name),
    lastName: stringOrNull(raw.family_name),
    picture: stringOrNull(raw.picture),
    raw
  }
}

/**
 * Fetches userinfo, when the provider has the endpoint and there is an access token to call it with
 * (an id_token sign-in has none), and checks that it describes the id_token's subject.
 */
export async function fetchUserinfo (context: ProfileContext): Promise<Record<string, unknown>> {
  const endpoint = context.endpoints.userinfoEndpoint
  if (endpoint === null || context.tokens.accessToken === null) return {}
  const userinfo = await context.fetchJson(endpoint, {
    endpoint: 'userinfo',
    headers: { authorization: `Bearer ${context.tokens.accessToken}` }
  })
  if (!isObject(userinfo)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'userinfo endpoint returned JSON that is not an object')
  // OpenID Connect Core 1.0 section 5.3.4: a userinfo response for another subject must not be used.
  if (userinfo.sub !== context.claims?.sub) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'userinfo sub differs from the id_token sub')
  }
  return userinfo
}

/** Builds the standard OpenID Connect profile: verified id_token claims merged with userinfo. */
export async function oidcProfile (context: ProfileContext): Promise<ProfileFields> {
  const claims = context.claims
  if (claims === null) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'OpenID profile requested without id_token claims')
  return mapOidcClaims(claims, await fetchUserinfo(context))
}

export const oidc: Preset = {
  id: 'oidc',
  options: ['issuer'],
  define (options, where, runtime) {
    const issuer = checkIssuer(options.issuer, `${where}.issuer`)
    const timeoutMs = runtime.timeoutMs
    return {
      endpoints: { issuer, authorizationEndpoint: '', tokenEndpoint: '', userinfoEndpoint: null, apiBaseUrl: null, jwksUri: null },
      discover: async (overrides) => await discoverEndpoints(issuer, overrides, timeoutMs),
      idToken: {},
      pkce: true,
      scope: ['email', 'profile'],
      requiredScope: ['openid'],
      tokenEndpointAuthMethod: null,
      profile: oidcProfile
    }
  }
}
