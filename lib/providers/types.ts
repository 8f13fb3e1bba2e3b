import type { JWTPayload } from 'jose'
import type { Identity, IssuedProviderTokens, ProviderTokens } from '../identity.js'

/** Input of `Provider.authorizationUrl`. */
export interface AuthorizationRequest {
  redirectUri: string
  state: string
  scope: string[]
  codeChallenge: string | null
  nonce: string | null
  /** Per-request parameters, already checked against the provider's options: `prompt`, `login_hint`. */
  extraParams?: Record<string, string>
}

/** Input of `Provider.signIn`: what the POST carried plus what the state record kept. */
export interface CodeRedemption {
  code: string
  redirectUri: string
  codeVerifier: string | null
  nonce: string | null
  /** Apple's `user` field, which the front end forwards from the first sign-in's redirect. */
  user?: string
}

/** Input of `Provider.signInWithIdToken`: what a native app POSTs. */
export interface IdTokenSubmission {
  idToken: string
  /** The raw nonce the app chose. The token's `nonce` claim may be it or its SHA-256, as SDKs hash it. */
  nonce?: string
  /** Apple's `user` JSON with the name, which native apps may forward like the web flow does. */
  user?: string
}

/** Result of `Provider.signInWithIdToken`. */
export interface IdTokenSignIn {
  identity: Identity
  /** The verified claims, whose `exp` and `iat` bound how long a replay check must remember the token. */
  claims: JWTPayload
}

/**
 * One configured provider. Providers know nothing of HTTP routes or of the state store: they build
 * authorization URLs and turn an authorization code into a normalized identity.
 */
export interface Provider {
  readonly name: string
  /** Preset or type the provider was built from, such as `github` or `oidc`. */
  readonly type: string
  /** True for OpenID Connect providers, which get a nonce and an id_token check. */
  readonly openid: boolean
  /** True when the authorization request carries a PKCE S256 challenge. */
  readonly pkce: boolean
  /** Provider-specific redirect URIs, or null to use the global list. */
  readonly redirectUris: Set<string> | null
  /** Scopes a client may add on GET, beyond the configured ones. */
  readonly allowedScopes: Set<string>
  /** Scopes that every authorization request requests. */
  readonly scope: readonly string[]
  /** `prompt` values a client may ask for on GET. */
  readonly allowedPrompts: Set<string>
  /** Whether a client may pass `login_hint` on GET. */
  readonly allowLoginHint: boolean
  /** Whether POST may carry an id_token that a native app got from the provider's SDK. */
  readonly idTokenSignIn: boolean
  /** Whether that id_token must carry a nonce that the POST proves with the raw value. */
  readonly idTokenNonceRequired: boolean
  /** Whether the token's nonce is the SHA-256 of the raw nonce that POST sends, or that raw nonce itself. */
  readonly idTokenNonceForm: 'raw' | 'sha256'
  /** Whether POST may carry a provider access token, which the provider then confirms was issued to this app. */
  readonly accessTokenSignIn: boolean
  /** Resolves endpoints (OpenID discovery, for one) once, retrying after a failure. */
  prepare: () => Promise<void>
  /** Issuer identifier for RFC 9207 checks, or null when the provider has none. Valid after `prepare`. */
  issuer: () => string | null
  /** True when the provider's metadata states that its authorization responses carry `iss`. Valid after `prepare`. */
  issuerParameterSupported: () => boolean
  /** Builds the URL the browser is sent to. Valid after `prepare`. */
  authorizationUrl: (request: AuthorizationRequest) => string
  /** Exchanges the code, verifies what comes back and maps it to an identity. */
  signIn: (redemption: CodeRedemption) => Promise<Identity>
  /** Verifies a native app's id_token against the accepted client ids and maps it to an identity. */
  signInWithIdToken: (submission: IdTokenSubmission) => Promise<IdTokenSignIn>
  /** Has the provider confirm that an access token was issued to this app, and maps its user to an identity. */
  signInWithAccessToken: (accessToken: string) => Promise<Identity>
  /** Gets new tokens with a refresh token. A response without a refresh token keeps the given one. */
  refreshTokens: (refreshToken: string) => Promise<IssuedProviderTokens>
  /** Revokes a token at the provider's RFC 7009 endpoint. */
  revokeToken: (token: string, tokenTypeHint?: 'access_token' | 'refresh_token') => Promise<void>
}

/** Endpoints of a provider, after discovery where it has one. */
export interface Endpoints {
  authorizationEndpoint: string
  tokenEndpoint: string
  /** OpenID Connect userinfo endpoint, or null. */
  userinfoEndpoint: string | null
  /** Base URL of the provider's REST API that profile fetchers call, such as `https://api.github.com`. */
  apiBaseUrl: string | null
  /** JWKS of an OpenID provider, or null. */
  jwksUri: string | null
  /** Issuer identifier of an OpenID provider, or null. */
  issuer: string | null
  /** RFC 7009 token revocation endpoint, when the provider has one. */
  revocationEndpoint?: string | null
}

/** Replacements for any preset endpoint: for a proxy, a sovereign cloud, or a test server. */
export type EndpointOverrides = Partial<Endpoints>

/** Profile fetcher output: the identity without the provider name and tokens. */
export type ProfileFields = Omit<Identity, 'provider' | 'tokens'>

/** Input of a profile fetcher. */
export interface ProfileContext {
  tokens: ProviderTokens
  /** The token endpoint's whole response: VK puts the email there. */
  tokenResponse: Record<string, unknown>
  /** Verified id_token claims of an OpenID provider, or null. */
  claims: JWTPayload | null
  endpoints: Endpoints
  clientId: string
  /** The client secret, for signatures such as Facebook's `appsecret_proof`. Never log it. */
  clientSecret: string
  /** Apple's `user` field, which the front end or native app forwards on the first sign-in. */
  user?: string
  /** GETs (or POSTs) JSON from the provider with the configured timeout. */
  fetchJson: (url: string, options: ProviderRequestOptions) => Promise<unknown>
}

export interface ProviderRequestOptions {
  /** Names the endpoint in error reasons, such as `user` or `emails`. */
  endpoint: string
  headers?: Record<string, string>
  method?: 'GET' | 'POST'
  body?: string
  /** Return null instead of failing on these HTTP statuses, for optional data. */
  allowStatus?: number[]
}

export type ProfileFetcher = (context: ProfileContext) => Promise<ProfileFields>

/** Input of a preset's access token check. */
export interface AccessTokenContext {
  accessToken: string
  endpoints: Endpoints
  clientId: string
  /** The client secret, for the provider's token introspection. Never log it. */
  clientSecret: string
  fetchJson: (url: string, options: ProviderRequestOptions) => Promise<unknown>
}

/** Result of a preset's access token check: the profile and the token's own details. */
export interface AccessTokenGrant {
  fields: ProfileFields
  expiresAt: Date | null
  /** Granted scopes, space-separated, or null when the provider did not report them. */
  scope: string | null
}

/** Confirms with the provider that an access token was issued to this app, and fetches its user's profile. */
export type AccessTokenCheck = (context: AccessTokenContext) => Promise<AccessTokenGrant>

/** Checks of an OpenID provider's id_tokens, beyond signature, audience and nonce. */
export interface IdTokenPolicy {
  /** Accepted `iss` values. Default: the endpoints' issuer. */
  issuers?: string[]
  /**
   * Accepts an `iss` that depends on the token, for Microsoft's multi-tenant endpoints where it
   * contains the user's tenant. Replaces `issuers`.
   */
  issuerMatches?: (issuer: string, claims: JWTPayload) => boolean
  /** Accepted signature algorithms. Default: every asymmetric one the provider lists, or RS256. */
  algorithms?: string[]
}

export type { Identity, ProviderTokens }
