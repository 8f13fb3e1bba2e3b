import { AuthorizationCode } from 'simple-oauth2'
import { ProviderError, SignInError, type SocialAuthError } from '../errors.js'
import type { ProviderTokens } from '../identity.js'
import { stringOrNull } from '../identity.js'

export interface Endpoints {
  authorizationEndpoint: string
  tokenEndpoint: string
}

export interface TokenClientOptions {
  clientId: string
  clientSecret: string
  /** `client_secret_basic` sends the credentials in an Authorization header, `client_secret_post` in the body. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post'
  timeoutMs: number
}

/** Token endpoint answer after a successful code exchange: the normalized tokens plus the raw body. */
export interface TokenResponse {
  tokens: ProviderTokens
  raw: Record<string, unknown>
}

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024

// OAuth 2.0 error codes that mean our client registration is wrong, not the user's code.
const CLIENT_CONFIGURATION_ERRORS = new Set([
  'invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'redirect_uri_mismatch', 'invalid_scope'
])

/**
 * Authorization URL builder and code exchange on the simple-oauth2 client that @fastify/oauth2 uses,
 * configured per provider. The plugin keeps the state itself, so none of @fastify/oauth2's cookies
 * are involved.
 */
export class TokenClient {
  readonly #client: AuthorizationCode
  readonly #timeoutMs: number

  constructor (endpoints: Endpoints, options: TokenClientOptions) {
    const authorize = new URL(endpoints.authorizationEndpoint)
    const token = new URL(endpoints.tokenEndpoint)
    this.#timeoutMs = options.timeoutMs
    this.#client = new AuthorizationCode({
      client: { id: options.clientId, secret: options.clientSecret },
      auth: {
        authorizeHost: authorize.origin,
        authorizePath: authorize.pathname + authorize.search,
        tokenHost: token.origin,
        tokenPath: token.pathname + token.search
      },
      options: {
        authorizationMethod: options.tokenEndpointAuthMethod === 'client_secret_post' ? 'body' : 'header',
        bodyFormat: 'form'
      }
    })
  }

  /** Builds an authorization URL. `extraParams` come first so that none can replace a protocol parameter. */
  authorizeUrl (params: Record<string, string>, extraParams: Record<string, string>): string {
    return this.#client.authorizeURL({ ...extraParams, ...params } as unknown as Parameters<AuthorizationCode['authorizeURL']>[0])
  }

  /** Exchanges an authorization code, mapping every failure to a coded error. */
  async exchangeCode (code: string, redirectUri: string, codeVerifier: string | null): Promise<TokenResponse> {
    const params: Record<string, string> = { code, redirect_uri: redirectUri }
    if (codeVerifier !== null) params.code_verifier = codeVerifier

    let raw: unknown
    try {
      const accessToken = await this.#client.getToken(
        params as unknown as Parameters<AuthorizationCode['getToken']>[0],
        { timeout: this.#timeoutMs, maxBytes: MAX_TOKEN_RESPONSE_BYTES } as unknown as Parameters<AuthorizationCode['getToken']>[1]
      )
      raw = accessToken.token
    } catch (error) {
      throw mapTokenEndpointError(error, this.#timeoutMs)
    }
    return parseTokenResponse(raw)
  }
}

/** Checks a token endpoint body, which some providers use for errors even with HTTP 200. */
function parseTokenResponse (raw: unknown): TokenResponse {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint answered JSON that is not an object')
  }
  const body = raw as Record<string, unknown>
  if (body.error !== undefined) throw classifyOAuthError(body.error, body.error_description, 200)
  const accessToken = stringOrNull(body.access_token)
  if (accessToken === null) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint answered without an access_token')
  }
  const expiresAt = body.expires_at instanceof Date && !Number.isNaN(body.expires_at.getTime()) ? body.expires_at : null
  return {
    tokens: {
      accessToken,
      refreshToken: stringOrNull(body.refresh_token),
      expiresAt,
      idToken: stringOrNull(body.id_token),
      scope: stringOrNull(body.scope)
    },
    raw: body
  }
}

interface WreckError {
  isBoom?: boolean
  message: string
  output?: { statusCode: number }
  data?: { isResponseError?: boolean, payload?: unknown, res?: { statusCode?: number } } | null
}

function mapTokenEndpointError (error: unknown, timeoutMs: number): SocialAuthError {
  const err = error as WreckError
  if (err.isBoom !== true) {
    return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint answer could not be used: ${(error as Error).name}`, { cause: error })
  }
  if (err.data?.isResponseError === true) {
    const status = err.data.res?.statusCode ?? 0
    const payload = err.data.payload
    const body = payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload) ? payload as Record<string, unknown> : {}
    return classifyOAuthError(body.error, body.error_description, status)
  }
  const status = err.output?.statusCode
  if (status === 504 || status === 408) {
    return new ProviderError('PROVIDER_TIMEOUT', `token endpoint timed out after ${timeoutMs} ms`, { cause: error })
  }
  if (status === 502 && err.message === 'Client request error') {
    return new ProviderError('PROVIDER_UNREACHABLE', 'token endpoint request failed', { cause: error })
  }
  return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint answer could not be used: ${err.message}`, { cause: error })
}

function classifyOAuthError (code: unknown, description: unknown, status: number): SocialAuthError {
  const errorCode = typeof code === 'string' ? code.slice(0, 64) : null
  const detail = typeof description === 'string' ? `: ${description.slice(0, 200)}` : ''
  if (errorCode === 'invalid_grant') {
    return new SignInError('CODE_REJECTED', 'The authorization code is invalid or expired. Sign in again.')
  }
  if (errorCode !== null && CLIENT_CONFIGURATION_ERRORS.has(errorCode)) {
    return new ProviderError('PROVIDER_REJECTED_CLIENT', `token endpoint rejected the client (HTTP ${status}, ${errorCode}${detail}); check the client id, secret and redirect URI registered at the provider`)
  }
  return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint answered HTTP ${status}${errorCode === null ? ' without an OAuth error code' : ` with ${errorCode}${detail}`}`)
}
