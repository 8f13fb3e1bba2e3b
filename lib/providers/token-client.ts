import { AuthorizationCode } from 'simple-oauth2'
import { ProviderError, SignInError, type SocialAuthError } from '../errors.js'
import type { IssuedProviderTokens } from '../identity.js'
import { stringOrNull } from '../identity.js'
import { USER_AGENT } from './http.js'

type AccessTokenRefresh = (params: Record<string, unknown>, httpOptions: Record<string, unknown>) => unknown

export interface TokenEndpoints {
  authorizationEndpoint: string
  tokenEndpoint: string
}

export interface TokenClientOptions {
  clientId: string
  /** The secret, or a function returning the current one for secrets that rotate (Apple's are signed JWTs). */
  clientSecret: string | (() => Promise<string>)
  /** `client_secret_basic` sends the credentials in an Authorization header, `client_secret_post` in the body. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post'
  timeoutMs: number
}

/** Token endpoint response after a successful code exchange: the normalized tokens plus the raw body. */
export interface TokenResponse {
  tokens: IssuedProviderTokens
  raw: Record<string, unknown>
}

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024

// Error codes that mean the user's code is invalid, used or expired: RFC 6749's, GitHub's and Slack's.
const CODE_REJECTED_ERRORS = new Set(['invalid_grant', 'bad_verification_code', 'invalid_code', 'code_already_used'])

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
  readonly #endpoints: TokenEndpoints
  readonly #options: TokenClientOptions
  readonly #endpointBase: string
  readonly #endpointQuery: Record<string, string>
  // The client for the current secret. A new one is built when a rotating secret changes.
  #exchangeClient: { secret: string, client: AuthorizationCode } | null = null

  constructor (endpoints: TokenEndpoints, options: TokenClientOptions) {
    this.#endpoints = endpoints
    this.#options = options
    const [base, search] = endpoints.authorizationEndpoint.split('?', 2) as [string, string | undefined]
    this.#endpointBase = base
    this.#endpointQuery = Object.fromEntries(new URLSearchParams(search ?? ''))
  }

  /**
   * Builds an authorization URL with the parameters simple-oauth2 would set, in one pass: its
   * `authorizeURL` sets them one by one on a URL object, which took a tenth of a GET's CPU time.
   * `extraParams` come first, so that none can replace a protocol parameter.
   */
  authorizeUrl (params: Record<string, string>, extraParams: Record<string, string>): string {
    // Parameters already in the endpoint's query come first and are replaced, never repeated.
    const merged: Record<string, string> = { ...this.#endpointQuery, ...extraParams, client_id: this.#options.clientId, ...params }
    let query = ''
    for (const name of Object.keys(merged)) {
      query += `${query === '' ? '' : '&'}${encodeURIComponent(name)}=${encodeURIComponent(merged[name] as string)}`
    }
    return `${this.#endpointBase}?${query}`
  }

  async #clientForExchange (): Promise<AuthorizationCode> {
    const configured = this.#options.clientSecret
    const secret = typeof configured === 'string' ? configured : await configured()
    if (this.#exchangeClient?.secret !== secret) {
      try {
        this.#exchangeClient = { secret, client: this.#createClient(secret) }
      } catch (error) {
        // simple-oauth2's validation message quotes the secret, so it stays out of the reason.
        throw new ProviderError('PROVIDER_MISCONFIGURED', `simple-oauth2 rejected the client configuration (${(error as Error).name})`)
      }
    }
    return this.#exchangeClient.client
  }

  #createClient (secret: string): AuthorizationCode {
    const authorize = new URL(this.#endpoints.authorizationEndpoint)
    const token = new URL(this.#endpoints.tokenEndpoint)
    return new AuthorizationCode({
      client: { id: this.#options.clientId, secret },
      auth: {
        authorizeHost: authorize.origin,
        authorizePath: authorize.pathname + authorize.search,
        tokenHost: token.origin,
        tokenPath: token.pathname + token.search
      },
      options: {
        authorizationMethod: this.#options.tokenEndpointAuthMethod === 'client_secret_post' ? 'body' : 'header',
        bodyFormat: 'form'
      },
      http: { headers: { 'user-agent': USER_AGENT } }
    } as unknown as ConstructorParameters<typeof AuthorizationCode>[0])
  }

  /**
   * Gets new tokens with a refresh token (RFC 6749 section 6). A rejected refresh token is a
   * `SignInError` with code `REFRESH_REJECTED`, and a response without a refresh token keeps the given one.
   */
  async refresh (refreshToken: string): Promise<TokenResponse> {
    const client = await this.#clientForExchange()
    const timeoutMs = this.#options.timeoutMs
    let raw: unknown
    try {
      raw = await withDeadline(async () => await client.createToken({ refresh_token: refreshToken }).refresh(
        {}, { timeout: timeoutMs, maxBytes: MAX_TOKEN_RESPONSE_BYTES } as unknown as Parameters<AccessTokenRefresh>[1]
      ), timeoutMs)
    } catch (error) {
      throw error instanceof SignInError ? new SignInError('REFRESH_REJECTED', 'The refresh token is invalid, expired or revoked.', { cause: error }) : error
    }
    const response = parseTokenResponse(raw)
    if (response.tokens.refreshToken === null) response.tokens.refreshToken = refreshToken
    return response
  }

  /** Revokes a token at the provider's RFC 7009 endpoint, authenticating as the token endpoint does. */
  async revoke (revocationEndpoint: string, token: string, tokenTypeHint: string | undefined): Promise<void> {
    const configured = this.#options.clientSecret
    const secret = typeof configured === 'string' ? configured : await configured()
    const form = new URLSearchParams({ token })
    if (tokenTypeHint !== undefined) form.set('token_type_hint', tokenTypeHint)
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': USER_AGENT }
    if (this.#options.tokenEndpointAuthMethod === 'client_secret_post') {
      form.set('client_id', this.#options.clientId)
      form.set('client_secret', secret)
    } else {
      // RFC 6749 section 2.3.1 form-encodes both parts before Basic encoding.
      const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+')
      headers.authorization = `Basic ${Buffer.from(`${encode(this.#options.clientId)}:${encode(secret)}`).toString('base64')}`
    }
    let response: Response
    try {
      response = await fetch(revocationEndpoint, { method: 'POST', headers, body: form, redirect: 'error', signal: AbortSignal.timeout(this.#options.timeoutMs) })
      await response.arrayBuffer()
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError'
      throw new ProviderError(timedOut ? 'PROVIDER_TIMEOUT' : 'PROVIDER_UNREACHABLE', `revocation endpoint request failed: ${(error as Error).name}`, { cause: error })
    }
    // RFC 7009 section 2.2: 200 means revoked, or the token was invalid already.
    if (response.status !== 200) throw new ProviderError('PROVIDER_BAD_RESPONSE', `revocation endpoint returned HTTP ${response.status}`)
  }

  /** Exchanges an authorization code, mapping every failure to a coded error. */
  async exchangeCode (code: string, redirectUri: string, codeVerifier: string | null): Promise<TokenResponse> {
    const params: Record<string, string> = { code, redirect_uri: redirectUri }
    if (codeVerifier !== null) params.code_verifier = codeVerifier

    const client = await this.#clientForExchange()
    const timeoutMs = this.#options.timeoutMs
    const raw = await withDeadline(async () => await client.getToken(
      params as unknown as Parameters<AuthorizationCode['getToken']>[0],
      { timeout: timeoutMs, maxBytes: MAX_TOKEN_RESPONSE_BYTES } as unknown as Parameters<AuthorizationCode['getToken']>[1]
    ), timeoutMs)
    return parseTokenResponse(raw)
  }
}

/**
 * Bounds a token endpoint call with one deadline, and maps every failure to a coded error. Wreck
 * applies its own timeout to the headers and again to the body, so this deadline bounds both.
 */
// NOTE: Wreck's default agents open a new connection for each token request, and simple-oauth2
// deep-copies request options, so a keep-alive agent passed in breaks after its first use. Wreck
// also takes no AbortSignal: after the deadline a request runs on until Wreck's timeout ends it.
async function withDeadline (call: () => Promise<{ token: unknown }>, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ProviderError('PROVIDER_TIMEOUT', `token endpoint timed out after ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return (await Promise.race([call(), deadline])).token
  } catch (error) {
    throw error instanceof ProviderError ? error : mapTokenEndpointError(error, timeoutMs)
  } finally {
    clearTimeout(timer)
  }
}

/** Checks a token endpoint body, which some providers use for errors even with HTTP 200. */
function parseTokenResponse (raw: unknown): TokenResponse {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint returned JSON that is not an object')
  }
  const body = raw as Record<string, unknown>
  if (body.error !== undefined) throw classifyOAuthError(body.error, 200)
  const accessToken = stringOrNull(body.access_token)
  if (accessToken === null) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', 'token endpoint returned no access_token')
  }
  const expiresAt = body.expires_at instanceof Date && !Number.isNaN(body.expires_at.getTime()) ? body.expires_at : null
  return {
    tokens: {
      accessToken,
      refreshToken: stringOrNull(body.refresh_token),
      expiresAt,
      idToken: stringOrNull(body.id_token),
      // Twitch returns the scope as an array.
      scope: Array.isArray(body.scope) ? body.scope.filter((item) => typeof item === 'string').join(' ') : stringOrNull(body.scope)
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
    return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint response could not be used: ${(error as Error).name}`, { cause: error })
  }
  if (err.data?.isResponseError === true) {
    const status = err.data.res?.statusCode ?? 0
    const payload = err.data.payload
    const body = payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload) ? payload as Record<string, unknown> : {}
    return classifyOAuthError(body.error, status)
  }
  const status = err.output?.statusCode
  if (status === 504 || status === 408) {
    return new ProviderError('PROVIDER_TIMEOUT', `token endpoint timed out after ${timeoutMs} ms`, { cause: error })
  }
  if (status === 502 && err.message.startsWith('Client request error')) {
    return new ProviderError('PROVIDER_UNREACHABLE', `token endpoint request failed: ${err.message}`, { cause: error })
  }
  return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint response could not be used: ${err.message}`, { cause: error })
}

function classifyOAuthError (code: unknown, status: number): SocialAuthError {
  // Only the error code is kept: some providers echo the code or the verifier in error_description.
  const errorCode = typeof code === 'string' && /^[\x20-\x7E]{1,64}$/.test(code) ? code : null
  if (errorCode !== null && CODE_REJECTED_ERRORS.has(errorCode)) {
    return new SignInError('CODE_REJECTED', 'The authorization code is invalid or expired. Sign in again.')
  }
  if (errorCode !== null && CLIENT_CONFIGURATION_ERRORS.has(errorCode)) {
    return new ProviderError('PROVIDER_REJECTED_CLIENT', `token endpoint rejected the client (HTTP ${status}, ${errorCode}); check the client id, secret and redirect URI registered at the provider`)
  }
  return new ProviderError('PROVIDER_BAD_RESPONSE', `token endpoint returned HTTP ${status}${errorCode === null ? ' without an OAuth error code' : ` with ${errorCode}`}`)
}
