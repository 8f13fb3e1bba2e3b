import type { JWTPayload } from 'jose'
import { ProviderError } from '../errors.js'
import { ASYMMETRIC_ALGORITHMS, checkNativeNonce, IdTokenVerifier } from '../id-token.js'
import type { Identity, IssuedProviderTokens } from '../identity.js'
import { requestJson } from './http.js'
import { TokenClient } from './token-client.js'
import type {
  AccessTokenCheck, AuthorizationRequest, CodeRedemption, Endpoints, IdTokenPolicy, IdTokenSignIn, IdTokenSubmission, ProfileFetcher, ProfileFields,
  Provider, ProviderRequestOptions, ProviderTokens
} from './types.js'

/** Settings shared by every provider, from the plugin options. */
export interface ProviderRuntime {
  timeoutMs: number
  clockToleranceSeconds: number
  /** Seconds to wait after a failed discovery before trying again. */
  discoveryRetrySeconds: number
  /** Seconds after a JWKS fetch during which an unknown `kid` causes no new fetch. */
  jwksCooldownSeconds: number
}

/** Endpoints plus what discovery may add. */
export interface ResolvedEndpoints extends Endpoints {
  /** id_token algorithms the provider lists, when it lists them. */
  idTokenAlgorithms?: string[]
  /** Token endpoint authentication methods the provider lists, when it lists them. */
  tokenEndpointAuthMethods?: string[]
  /** Metadata's `authorization_response_iss_parameter_supported` (RFC 9207). */
  issuerParameterSupported?: boolean
}

/** Everything that makes one provider, after the preset and the host's options are merged and checked. */
export interface ProviderSpec {
  name: string
  type: string
  clientId: string
  clientSecret: string | (() => Promise<string>)
  scope: string[]
  allowedScopes: string[]
  allowedPrompts: string[]
  allowLoginHint: boolean
  redirectUris: Set<string> | null
  pkce: boolean
  /** Null picks from discovery: basic unless the provider lists only `client_secret_post`. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | null
  /** Fixed extra authorization parameters. */
  authorizationParams: Record<string, string>
  /** Extra authorization parameters that depend on the requested scopes (Apple's `response_mode`). */
  scopeAuthorizationParams?: (scope: string[]) => Record<string, string>
  resolveEndpoints: () => Promise<ResolvedEndpoints>
  /** id_token policy of an OpenID provider, or null for plain OAuth 2.0, whose id_tokens are ignored. */
  idToken: IdTokenPolicy | null
  profile: ProfileFetcher
  /** Client ids of native apps, accepted as id_token audiences besides `clientId` in id_token sign-in. */
  clientIds: string[]
  /** id_token sign-in settings, or null when it is off. */
  idTokenSignInPolicy: { requireNonce: boolean, nonceForm: 'raw' | 'sha256' } | null
  /** The preset's access token check when access token sign-in is on, or null. */
  accessTokenCheck: AccessTokenCheck | null
}

interface Ready {
  endpoints: ResolvedEndpoints
  tokenClient: TokenClient
  verifier: IdTokenVerifier | null
}

/** A provider driven by a spec: authorization URL, code exchange, id_token check and profile mapping. */
export class OAuth2Provider implements Provider {
  readonly name: string
  readonly type: string
  readonly openid: boolean
  readonly pkce: boolean
  readonly redirectUris: Set<string> | null
  readonly allowedScopes: Set<string>
  readonly scope: readonly string[]
  readonly allowedPrompts: Set<string>
  readonly allowLoginHint: boolean
  readonly idTokenSignIn: boolean
  readonly idTokenNonceRequired: boolean
  readonly idTokenNonceForm: 'raw' | 'sha256'
  readonly accessTokenSignIn: boolean
  readonly #spec: ProviderSpec
  readonly #runtime: ProviderRuntime
  #ready: Ready | null = null
  #pending: Promise<void> | null = null
  #lastFailure: { at: number, error: ProviderError } | null = null

  constructor (spec: ProviderSpec, runtime: ProviderRuntime) {
    this.#spec = spec
    this.#runtime = runtime
    this.name = spec.name
    this.type = spec.type
    this.openid = spec.idToken !== null
    this.pkce = spec.pkce
    this.redirectUris = spec.redirectUris
    this.allowedScopes = new Set(spec.allowedScopes)
    this.scope = spec.scope
    this.allowedPrompts = new Set(spec.allowedPrompts)
    this.allowLoginHint = spec.allowLoginHint
    this.idTokenSignIn = spec.idTokenSignInPolicy !== null
    this.idTokenNonceRequired = spec.idTokenSignInPolicy?.requireNonce ?? true
    this.idTokenNonceForm = spec.idTokenSignInPolicy?.nonceForm ?? 'sha256'
    this.accessTokenSignIn = spec.accessTokenCheck !== null
  }

  async prepare (): Promise<void> {
    if (this.#ready !== null) return
    if (this.#pending !== null) return await this.#pending
    const failure = this.#lastFailure
    if (failure !== null && Date.now() - failure.at < this.#runtime.discoveryRetrySeconds * 1000) throw failure.error
    this.#pending = this.#setUp().then((ready) => {
      this.#ready = ready
      this.#lastFailure = null
    }, (error: unknown) => {
      const providerError = error instanceof ProviderError
        ? error
        // A foreign error's message may quote configuration, secrets included, so only its class is logged.
        : new ProviderError('PROVIDER_SETUP_FAILED', `set-up failed with ${(error as Error).name}`, { cause: error })
      this.#lastFailure = { at: Date.now(), error: providerError }
      throw providerError
    }).finally(() => {
      this.#pending = null
    })
    return await this.#pending
  }

  issuer (): string | null {
    return this.#state().endpoints.issuer
  }

  issuerParameterSupported (): boolean {
    return this.#state().endpoints.issuerParameterSupported === true
  }

  authorizationUrl (request: AuthorizationRequest): string {
    const params: Record<string, string> = {
      response_type: 'code',
      redirect_uri: request.redirectUri,
      state: request.state
    }
    // Providers that take scopes from the app's console (Zoom, Notion) get no empty scope parameter.
    if (request.scope.length > 0) params.scope = request.scope.join(' ')
    if (request.nonce !== null) params.nonce = request.nonce
    if (request.codeChallenge !== null) {
      params.code_challenge = request.codeChallenge
      params.code_challenge_method = 'S256'
    }
    const extra = {
      ...this.#spec.authorizationParams,
      ...this.#spec.scopeAuthorizationParams?.(request.scope),
      ...request.extraParams
    }
    return this.#state().tokenClient.authorizeUrl(params, extra)
  }

  async signIn (redemption: CodeRedemption): Promise<Identity> {
    const ready = this.#state()
    const { tokens, raw } = await ready.tokenClient.exchangeCode(redemption.code, redemption.redirectUri, redemption.codeVerifier)

    let claims: JWTPayload | null = null
    if (ready.verifier !== null) {
      if (tokens.idToken === null) {
        throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint returned no id_token although the openid scope was requested')
      }
      claims = await ready.verifier.verify(tokens.idToken, redemption.nonce)
    } else {
      // A plain OAuth 2.0 provider's id_token was not requested and is not verified, so nothing may rely on it.
      tokens.idToken = null
    }

    return await this.#profileIdentity(tokens, raw, claims, redemption.user)
  }

  async signInWithIdToken (submission: IdTokenSubmission): Promise<IdTokenSignIn> {
    const policy = this.#spec.idTokenSignInPolicy
    const verifier = this.#state().verifier
    if (policy === null || verifier === null) throw new Error(`provider ${this.name} does not accept id_token sign-in`)
    const claims = await verifier.verify(submission.idToken, null, [this.#spec.clientId, ...this.#spec.clientIds])
    checkNativeNonce(claims.nonce, submission.nonce, policy.nonceForm)

    // No access token came with the id_token, so the profile comes from its claims alone.
    const tokens: ProviderTokens = { accessToken: null, refreshToken: null, expiresAt: null, idToken: submission.idToken, scope: null }
    return { identity: await this.#profileIdentity(tokens, {}, claims, submission.user), claims }
  }

  async signInWithAccessToken (accessToken: string): Promise<Identity> {
    const check = this.#spec.accessTokenCheck
    if (check === null) throw new Error(`provider ${this.name} does not accept access token sign-in`)
    const grant = await check({
      accessToken,
      endpoints: this.#state().endpoints,
      clientId: this.#spec.clientId,
      clientSecret: this.#staticSecret(),
      fetchJson: this.#fetchJson
    })
    return this.#identity(grant.fields, { accessToken, refreshToken: null, expiresAt: grant.expiresAt, idToken: null, scope: grant.scope })
  }

  async refreshTokens (refreshToken: string): Promise<IssuedProviderTokens> {
    await this.prepare()
    const { tokens } = await this.#state().tokenClient.refresh(refreshToken)
    // A refreshed response's id_token is not checked against a nonce, so nothing may rely on it.
    return cleanTokens({ ...tokens, idToken: null })
  }

  async revokeToken (token: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<void> {
    await this.prepare()
    const ready = this.#state()
    const endpoint = ready.endpoints.revocationEndpoint ?? null
    if (endpoint === null) throw new ProviderError('REVOCATION_UNSUPPORTED', `provider ${this.name} has no token revocation endpoint`)
    await ready.tokenClient.revoke(endpoint, token, tokenTypeHint)
  }

  readonly #fetchJson = async (url: string, options: ProviderRequestOptions): Promise<unknown> =>
    await requestJson(url, { ...options, timeoutMs: this.#runtime.timeoutMs })

  // Apple's secret is a signed JWT that no profile fetcher needs, so such providers get an empty string.
  #staticSecret (): string {
    const secret = this.#spec.clientSecret
    return typeof secret === 'string' ? secret : ''
  }

  /** Runs the preset's profile fetcher and builds the identity from its fields and the tokens. */
  async #profileIdentity (tokens: ProviderTokens, tokenResponse: Record<string, unknown>, claims: JWTPayload | null, user: string | undefined): Promise<Identity> {
    const fields = await this.#spec.profile({
      tokens,
      tokenResponse,
      claims,
      endpoints: this.#state().endpoints,
      clientId: this.#spec.clientId,
      clientSecret: this.#staticSecret(),
      user,
      fetchJson: this.#fetchJson
    })
    return this.#identity(fields, tokens)
  }

  #identity (fields: ProfileFields, tokens: ProviderTokens): Identity {
    return { provider: this.name, ...cleanProfile(fields), raw: withoutPrototypeKeys(fields.raw), tokens: cleanTokens(tokens) }
  }

  #state (): Ready {
    if (this.#ready === null) throw new Error(`provider ${this.name} used before prepare() resolved`)
    return this.#ready
  }

  async #setUp (): Promise<Ready> {
    const spec = this.#spec
    const endpoints = await spec.resolveEndpoints()
    const methods = endpoints.tokenEndpointAuthMethods
    const tokenEndpointAuthMethod = spec.tokenEndpointAuthMethod ??
      (methods !== undefined && !methods.includes('client_secret_basic') && methods.includes('client_secret_post') ? 'client_secret_post' : 'client_secret_basic')
    const tokenClient = new TokenClient(endpoints, {
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      tokenEndpointAuthMethod,
      timeoutMs: this.#runtime.timeoutMs
    })
    return { endpoints, tokenClient, verifier: this.#createVerifier(endpoints) }
  }

  #createVerifier (endpoints: ResolvedEndpoints): IdTokenVerifier | null {
    const policy = this.#spec.idToken
    if (policy === null) return null
    if (endpoints.jwksUri === null) throw new ProviderError('PROVIDER_MISCONFIGURED', 'OpenID provider has no jwks_uri')
    const issuer = policy.issuerMatches ?? policy.issuers ?? endpoints.issuer
    if (issuer === null) throw new ProviderError('PROVIDER_MISCONFIGURED', 'OpenID provider has no issuer')

    const supported = endpoints.idTokenAlgorithms ?? ['RS256']
    const allowed = policy.algorithms ?? [...ASYMMETRIC_ALGORITHMS]
    const algorithms = allowed.filter((algorithm) => supported.includes(algorithm))
    if (algorithms.length === 0) {
      throw new ProviderError('PROVIDER_MISCONFIGURED', `provider signs id_tokens only with ${supported.join(', ')}, none of which is allowed`)
    }
    return new IdTokenVerifier({
      issuer,
      audiences: [this.#spec.clientId],
      jwksUri: endpoints.jwksUri,
      algorithms,
      clockToleranceSeconds: this.#runtime.clockToleranceSeconds,
      timeoutMs: this.#runtime.timeoutMs,
      jwksCooldownMs: this.#runtime.jwksCooldownSeconds * 1000
    })
  }
}

/**
 * Copies a provider's profile without `__proto__`, `constructor` and `prototype` keys, which JSON
 * parsing keeps as own properties and which a host's `Object.assign(user, identity.raw)` would obey.
 */
function withoutPrototypeKeys (raw: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (key !== '__proto__' && key !== 'constructor' && key !== 'prototype') copy[key] = value
  }
  return copy
}

// Bounds on what a provider may hand over, so that databases and logs downstream never choke on it.
const MAX_UID_LENGTH = 255
const MAX_EMAIL_LENGTH = 320
const MAX_TEXT_LENGTH = 1024
const MAX_URL_LENGTH = 2048
const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000

/** Makes a provider's text storable: well-formed UTF-16 without NUL characters. */
function cleanText (value: string | null, maxLength: number): string | null {
  if (value === null) return null
  const text = value.toWellFormed().replaceAll('\u0000', '')
  return text === '' || text.length > maxLength ? null : text
}

/**
 * Checks and bounds profile fields. A uid that is empty, too long or not clean text is rejected,
 * since shortening it could make two users one. An email that fails the bounds becomes null.
 */
function cleanProfile (fields: ProfileFields): Omit<ProfileFields, 'raw'> {
  const uid = fields.uid
  if (uid === '' || uid.length > MAX_UID_LENGTH || cleanText(uid, MAX_UID_LENGTH) !== uid) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'profile user id is empty, longer than 255 characters or not clean text')
  }
  const email = fields.email === null ? null : cleanText(fields.email, MAX_EMAIL_LENGTH) === fields.email ? fields.email : null
  return {
    uid,
    email,
    emailVerified: email !== null && fields.emailVerified,
    username: cleanText(fields.username, MAX_TEXT_LENGTH),
    name: cleanText(fields.name, MAX_TEXT_LENGTH),
    firstName: cleanText(fields.firstName, MAX_TEXT_LENGTH),
    lastName: cleanText(fields.lastName, MAX_TEXT_LENGTH),
    picture: cleanText(fields.picture, MAX_URL_LENGTH)
  }
}

function cleanTokens<T extends ProviderTokens> (tokens: T): T {
  for (const token of [tokens.accessToken, tokens.refreshToken, tokens.idToken]) {
    if (token !== null && cleanText(token, Number.MAX_SAFE_INTEGER) !== token) {
      throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint returned a token that is not clean text')
    }
  }
  const expiresAt = tokens.expiresAt
  const plausible = expiresAt !== null && Math.abs(expiresAt.getTime() - Date.now()) < MAX_TOKEN_LIFETIME_MS
  return { ...tokens, expiresAt: plausible ? expiresAt : null, scope: cleanText(tokens.scope, MAX_URL_LENGTH) }
}
