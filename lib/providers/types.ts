import type { Identity, ProviderTokens } from '../identity.js'

/** Input of `Provider.authorizationUrl`. */
export interface AuthorizationRequest {
  redirectUri: string
  state: string
  scope: string[]
  codeChallenge: string | null
  nonce: string | null
}

/** Input of `Provider.signIn`: what the POST carried plus what the state record kept. */
export interface CodeRedemption {
  code: string
  redirectUri: string
  codeVerifier: string | null
  nonce: string | null
}

/**
 * One configured provider. Providers know nothing of HTTP routes or of the state store: they build
 * authorization URLs and turn an authorization code into a normalized identity.
 */
export interface Provider {
  readonly name: string
  /** True for OpenID Connect providers, which get a nonce and an id_token check. */
  readonly openid: boolean
  /** True when the authorization request carries a PKCE S256 challenge. */
  readonly pkce: boolean
  /** Provider-specific redirect URIs, or null to use the global list. */
  readonly redirectUris: Set<string> | null
  /** Scopes a client may add on GET, beyond the configured ones. */
  readonly allowedScopes: Set<string>
  /** Scopes every authorization request asks for. */
  readonly scope: readonly string[]
  /** Resolves endpoints (OpenID discovery, for one) once, retrying after a failure. */
  prepare: () => Promise<void>
  /** Issuer identifier for RFC 9207 checks, or null when the provider has none. Valid after `prepare`. */
  issuer: () => string | null
  /** Builds the URL the browser is sent to. Valid after `prepare`. */
  authorizationUrl: (request: AuthorizationRequest) => string
  /** Exchanges the code, verifies what comes back and maps it to an identity. */
  signIn: (redemption: CodeRedemption) => Promise<Identity>
}

export type { Identity, ProviderTokens }
