import type { JWTPayload } from 'jose'
import { ProviderError, SocialAuthOptionsError } from '../errors.js'
import { ASYMMETRIC_ALGORITHMS, IdTokenVerifier } from '../id-token.js'
import { type Identity, stringOrNull } from '../identity.js'
import { fetchJson } from './http.js'
import { TokenClient } from './token-client.js'
import type { AuthorizationRequest, CodeRedemption, Provider } from './types.js'

/** Options of a generic OpenID Connect provider, found through discovery from its issuer. */
export interface OidcProviderOptions {
  type: 'oidc'
  /** Issuer identifier. Discovery reads `{issuer}/.well-known/openid-configuration`, whose `issuer` must equal this exactly. */
  issuer: string
  clientId: string
  clientSecret: string
  /** Scopes of every authorization request. Default `['openid', 'email', 'profile']`; `openid` is always added. */
  scope?: string[]
  /** Extra scopes a client may request on GET with `scope`. Default none. */
  allowedScopes?: string[]
  /** Redirect URIs for this provider only, in place of the global list. */
  redirectUris?: string[]
  /** Fixed extra authorization request parameters, such as `prompt` or `login_hint`. */
  authorizationParams?: Record<string, string>
  /** Default `client_secret_basic`, or `client_secret_post` when the provider supports only that. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post'
  /** id_token signature algorithms to accept, among the asymmetric ones. Default: all asymmetric ones the provider lists. */
  idTokenAlgorithms?: string[]
  /** Send a PKCE S256 challenge. Default true. */
  pkce?: boolean
}

export interface ProviderRuntime {
  timeoutMs: number
  clockToleranceSeconds: number
  /** Seconds to wait after a failed discovery before trying again. */
  discoveryRetrySeconds: number
}

interface Discovered {
  issuer: string
  tokenClient: TokenClient
  verifier: IdTokenVerifier
  userinfoEndpoint: string | null
}

// Parameters that the plugin sets itself and that `authorizationParams` must not replace.
const PROTOCOL_PARAMS = new Set([
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_mode', 'request', 'request_uri'
])

/** A generic OpenID Connect provider: discovery, PKCE, nonce, id_token verification and userinfo. */
export class OidcProvider implements Provider {
  readonly name: string
  readonly openid = true
  readonly pkce: boolean
  readonly redirectUris: Set<string> | null
  readonly allowedScopes: Set<string>
  readonly scope: readonly string[]
  readonly #options: OidcProviderOptions
  readonly #runtime: ProviderRuntime
  readonly #extraParams: Record<string, string>
  #discovered: Discovered | null = null
  #pending: Promise<void> | null = null
  #lastFailure: { at: number, error: ProviderError } | null = null

  constructor (name: string, options: OidcProviderOptions, redirectUris: Set<string> | null, runtime: ProviderRuntime) {
    const where = `providers.${name}`
    checkUrl(options.issuer, `${where}.issuer`)
    requireString(options.clientId, `${where}.clientId`)
    requireString(options.clientSecret, `${where}.clientSecret`)
    this.name = name
    this.#options = options
    this.#runtime = runtime
    this.redirectUris = redirectUris
    this.pkce = options.pkce ?? true
    this.scope = [...new Set(['openid', ...checkScopes(options.scope ?? ['email', 'profile'], `${where}.scope`)])]
    this.allowedScopes = new Set(checkScopes(options.allowedScopes ?? [], `${where}.allowedScopes`))
    this.#extraParams = checkAuthorizationParams(options.authorizationParams ?? {}, `${where}.authorizationParams`)
    if (options.tokenEndpointAuthMethod !== undefined && !['client_secret_basic', 'client_secret_post'].includes(options.tokenEndpointAuthMethod)) {
      throw new SocialAuthOptionsError(`${where}.tokenEndpointAuthMethod must be client_secret_basic or client_secret_post`)
    }
    for (const algorithm of options.idTokenAlgorithms ?? []) {
      if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(algorithm)) {
        throw new SocialAuthOptionsError(`${where}.idTokenAlgorithms: "${algorithm}" is not allowed; use asymmetric algorithms among ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
      }
    }
  }

  async prepare (): Promise<void> {
    if (this.#discovered !== null) return
    if (this.#pending !== null) return await this.#pending
    const failure = this.#lastFailure
    if (failure !== null && Date.now() - failure.at < this.#runtime.discoveryRetrySeconds * 1000) throw failure.error
    this.#pending = this.#discover().then((discovered) => {
      this.#discovered = discovered
      this.#lastFailure = null
    }, (error: unknown) => {
      const providerError = error instanceof ProviderError ? error : new ProviderError('PROVIDER_DISCOVERY_FAILED', `discovery failed: ${(error as Error).message}`, { cause: error })
      this.#lastFailure = { at: Date.now(), error: providerError }
      throw providerError
    }).finally(() => {
      this.#pending = null
    })
    return await this.#pending
  }

  issuer (): string | null {
    return this.#ready().issuer
  }

  authorizationUrl (request: AuthorizationRequest): string {
    const params: Record<string, string> = {
      response_type: 'code',
      redirect_uri: request.redirectUri,
      scope: request.scope.join(' '),
      state: request.state
    }
    if (request.nonce !== null) params.nonce = request.nonce
    if (request.codeChallenge !== null) {
      params.code_challenge = request.codeChallenge
      params.code_challenge_method = 'S256'
    }
    return this.#ready().tokenClient.authorizeUrl(params, this.#extraParams)
  }

  async signIn (redemption: CodeRedemption): Promise<Identity> {
    const discovered = this.#ready()
    const { tokens } = await discovered.tokenClient.exchangeCode(redemption.code, redemption.redirectUri, redemption.codeVerifier)
    if (tokens.idToken === null) {
      throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint answered without an id_token although the openid scope was requested')
    }
    const claims = await discovered.verifier.verify(tokens.idToken, redemption.nonce)
    let userinfo: Record<string, unknown> = {}
    if (discovered.userinfoEndpoint !== null) {
      userinfo = await fetchJson(discovered.userinfoEndpoint, {
        endpoint: 'userinfo',
        timeoutMs: this.#runtime.timeoutMs,
        headers: { authorization: `Bearer ${tokens.accessToken}` }
      })
      // OpenID Connect Core 1.0 section 5.3.4: a userinfo answer for another subject must not be used.
      if (userinfo.sub !== claims.sub) {
        throw new ProviderError('PROVIDER_BAD_RESPONSE', 'userinfo sub differs from the id_token sub')
      }
    }
    return mapOidcIdentity(this.name, claims, userinfo, tokens)
  }

  #ready (): Discovered {
    if (this.#discovered === null) throw new Error(`provider ${this.name} used before prepare() resolved`)
    return this.#discovered
  }

  async #discover (): Promise<Discovered> {
    const issuer = this.#options.issuer
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
    const metadata = await fetchJson(url, { endpoint: 'discovery', timeoutMs: this.#runtime.timeoutMs })
    if (metadata.issuer !== issuer) {
      throw new ProviderError('PROVIDER_MISCONFIGURED', `discovery document issuer "${String(metadata.issuer)}" differs from the configured issuer "${issuer}"; set the issuer option to the exact value`)
    }
    const authorizationEndpoint = metadataUrl(metadata, 'authorization_endpoint', true)
    const tokenEndpoint = metadataUrl(metadata, 'token_endpoint', true)
    const jwksUri = metadataUrl(metadata, 'jwks_uri', true)
    const userinfoEndpoint = metadataUrl(metadata, 'userinfo_endpoint', false)

    const supportedAlgorithms = Array.isArray(metadata.id_token_signing_alg_values_supported)
      ? metadata.id_token_signing_alg_values_supported.filter((value): value is string => typeof value === 'string')
      : ['RS256']
    const allowed = this.#options.idTokenAlgorithms ?? [...ASYMMETRIC_ALGORITHMS]
    const algorithms = allowed.filter((algorithm) => supportedAlgorithms.includes(algorithm))
    if (algorithms.length === 0) {
      throw new ProviderError('PROVIDER_MISCONFIGURED', `provider signs id_tokens only with ${supportedAlgorithms.join(', ')}, none of which is allowed`)
    }

    const authMethods = Array.isArray(metadata.token_endpoint_auth_methods_supported) ? metadata.token_endpoint_auth_methods_supported : ['client_secret_basic']
    const tokenEndpointAuthMethod = this.#options.tokenEndpointAuthMethod ??
      (!authMethods.includes('client_secret_basic') && authMethods.includes('client_secret_post') ? 'client_secret_post' : 'client_secret_basic')

    return {
      issuer,
      tokenClient: new TokenClient({ authorizationEndpoint, tokenEndpoint }, {
        clientId: this.#options.clientId,
        clientSecret: this.#options.clientSecret,
        tokenEndpointAuthMethod,
        timeoutMs: this.#runtime.timeoutMs
      }),
      verifier: new IdTokenVerifier({
        issuer,
        clientId: this.#options.clientId,
        jwksUri,
        algorithms,
        clockToleranceSeconds: this.#runtime.clockToleranceSeconds,
        timeoutMs: this.#runtime.timeoutMs
      }),
      userinfoEndpoint
    }
  }
}

/** Maps id_token claims and the userinfo answer to an identity. Email and its verification come from the same source. */
export function mapOidcIdentity (provider: string, claims: JWTPayload, userinfo: Record<string, unknown>, tokens: Identity['tokens']): Identity {
  const raw: Record<string, unknown> = { ...claims, ...userinfo }
  const emailSource: Record<string, unknown> = typeof userinfo.email === 'string' ? userinfo : claims
  const email = stringOrNull(emailSource.email)
  // Some providers (Amazon Cognito, for one) send the string "true".
  const verified = emailSource.email_verified === true || emailSource.email_verified === 'true'
  return {
    provider,
    uid: String(claims.sub),
    email,
    emailVerified: email !== null && verified,
    username: stringOrNull(raw.preferred_username) ?? stringOrNull(raw.nickname),
    name: stringOrNull(raw.name),
    firstName: stringOrNull(raw.given_name),
    lastName: stringOrNull(raw.family_name),
    picture: stringOrNull(raw.picture),
    tokens,
    raw
  }
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

/** True for https URLs, and for http ones on a loopback host (local development and tests). */
export function isSecureUrl (value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname))
}

function checkUrl (value: unknown, where: string): void {
  if (typeof value !== 'string' || !isSecureUrl(value)) {
    throw new SocialAuthOptionsError(`${where} must be an https URL (http only on a loopback host), got ${JSON.stringify(value)}`)
  }
}

function requireString (value: unknown, where: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SocialAuthOptionsError(`${where} is missing; set it to the value the provider issued`)
  }
}

function checkScopes (scopes: unknown, where: string): string[] {
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))) {
    throw new SocialAuthOptionsError(`${where} must be an array of scope tokens (RFC 6749 section 3.3)`)
  }
  return scopes as string[]
}

function checkAuthorizationParams (params: unknown, where: string): Record<string, string> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new SocialAuthOptionsError(`${where} must be an object of strings`)
  }
  const checked: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    if (PROTOCOL_PARAMS.has(key)) throw new SocialAuthOptionsError(`${where}.${key} is set by the plugin and cannot be overridden`)
    if (typeof value !== 'string') throw new SocialAuthOptionsError(`${where}.${key} must be a string`)
    checked[key] = value
  }
  return checked
}
