import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { ProviderNotFoundError, SignInError, StoreUnavailableError, ValidationError } from './errors.js'
import type { Identity } from './identity.js'
import { isNativeInput, NativeSignIn } from './native-sign-in.js'
import type { Provider } from './providers/types.js'
import type { StateStore } from './state/store.js'

/** POST input from the front end or a native app, after schema validation. */
export interface CompleteInput {
  code?: string
  state?: string
  iss?: string
  error?: string
  error_description?: string
  /** Apple's first-sign-in `user` JSON, forwarded by the front end. */
  user?: string
  /** The secret whose SHA-256 the front end sent as `binding_challenge` on GET. */
  binding_verifier?: string
  /** A native app's id_token, in place of `code` and `state`. */
  id_token?: string
  /** The raw nonce behind the id_token's `nonce` claim. */
  nonce?: string
  /** A native app's provider access token, in place of `code` and `state`. */
  access_token?: string
}

/** Browser binding settings, which tie a sign-in to the browser that started it against login CSRF. */
export interface BindingOptions {
  /** Every GET must carry a `binding_challenge`, unless the cookie binding is on. */
  required: boolean
  /** Name of the HttpOnly binding cookie that GET sets and POST checks, or null when it is off. */
  cookieName: string | null
}

/** Per-request authorization options of GET, each allowed only as far as the provider's options permit. */
export interface BeginOptions {
  prompt?: string
  loginHint?: string
}

/** Result of `begin`: the authorization URL, and the binding cookie to set when that binding is on. */
export interface BeginResult {
  authorizationUrl: string
  bindingCookie: { name: string, value: string } | null
}

export interface FlowOptions {
  providers: Map<string, Provider>
  redirectUris: Set<string> | null
  store: StateStore
  stateTtlMs: number
  binding: BindingOptions
  /** Reject a POST without `iss` from a provider whose metadata states that it sends one (RFC 9207). */
  requireIssuerParameter: boolean
  /** Seconds of clock difference tolerated on id_token `exp`, which also extend how long a used id_token is remembered. */
  clockToleranceSeconds: number
}

/** Result of a completed sign-in, before the host's user and token strategy run. */
export interface CompletedSignIn {
  provider: Provider
  identity: Identity
}

const INVALID_STATE_MESSAGE = 'Invalid or expired state. Start the sign-in again.'
const BINDING_MESSAGE = 'This sign-in was started in another browser or tab. Start the sign-in again.'

/** Derives the store key from a state, so a dump of the store contains no usable state. */
export function stateKey (state: string): string {
  return sha256(state)
}

function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** Names the binding cookie of one sign-in, so sign-ins started in two tabs keep their own cookies. */
export function bindingCookieName (base: string, key: string): string {
  return `${base}_${key.slice(0, 12)}`
}

/** Compares two base64url digests in constant time. */
function digestsEqual (actual: string, expected: string): boolean {
  const left = Buffer.from(actual)
  const right = Buffer.from(expected)
  return left.byteLength === right.byteLength && timingSafeEqual(left, right)
}

/** The two halves of a sign-in: `begin` for GET and `complete` for POST. */
export class SignInFlow {
  readonly #options: FlowOptions
  readonly #native: NativeSignIn
  /**
   * Whether the code flow marks its id_tokens as used. Only an entry with the raw nonce form could
   * take one again, with its own nonce claim as the nonce: under the sha256 form that would need
   * the preimage of the claim.
   */
  readonly #markCodeFlowIdTokens: boolean

  constructor (options: FlowOptions) {
    this.#options = options
    this.#native = new NativeSignIn(options.store, options.clockToleranceSeconds)
    this.#markCodeFlowIdTokens = [...options.providers.values()].some((provider) => provider.idTokenSignIn && provider.idTokenNonceForm === 'raw')
  }

  /** Names the binding cookie of the sign-in with this state, or returns null when the cookie binding is off. */
  bindingCookieFor (state: string): string | null {
    const base = this.#options.binding.cookieName
    return base === null ? null : bindingCookieName(base, stateKey(state))
  }

  /** Returns the URL names of the providers, aliases included. */
  providerNames (): string[] {
    return [...this.#options.providers.keys()]
  }

  provider (name: string): Provider {
    const provider = this.#options.providers.get(name)
    if (provider === undefined) throw new ProviderNotFoundError()
    return provider
  }

  /** Stores a fresh state record and returns the authorization URL. */
  async begin (providerName: string, redirectUri: string, requestedScope: string | undefined, bindingChallenge?: string, request: BeginOptions = {}): Promise<BeginResult> {
    const provider = this.provider(providerName)
    const binding = this.#options.binding
    if (binding.required && binding.cookieName === null && bindingChallenge === undefined) {
      throw ValidationError.field('binding_challenge', 'This field is required.', 'BINDING_CHALLENGE_MISSING')
    }
    const allowedRedirectUris = provider.redirectUris ?? this.#options.redirectUris
    if (allowedRedirectUris === null || !allowedRedirectUris.has(redirectUri)) {
      throw ValidationError.field('redirect_uri', 'This redirect URI is not allowed.', 'REDIRECT_URI_NOT_ALLOWED')
    }
    const scope = mergeScope(provider, requestedScope)
    const extraParams = checkRequestParams(provider, request)
    await provider.prepare()

    // 96 random bytes: 256 bits each for the state, the PKCE verifier and the nonce.
    const random = randomBytes(96)
    const state = random.subarray(0, 32).toString('base64url')
    const codeVerifier = provider.pkce ? random.subarray(32, 64).toString('base64url') : null
    const nonce = provider.openid ? random.subarray(64, 96).toString('base64url') : null
    const key = stateKey(state)
    const cookieValue = binding.cookieName === null ? null : randomBytes(32).toString('base64url')

    await this.#options.store.save(key, {
      provider: provider.name,
      redirectUri,
      codeVerifier,
      nonce,
      createdAt: Date.now(),
      bindingChallenge: bindingChallenge ?? null,
      cookieHash: cookieValue === null ? null : sha256(cookieValue)
    }, this.#options.stateTtlMs)

    const authorizationUrl = provider.authorizationUrl({
      redirectUri,
      state,
      scope,
      codeChallenge: codeVerifier === null ? null : sha256(codeVerifier),
      nonce,
      extraParams
    })
    return {
      authorizationUrl,
      bindingCookie: cookieValue === null || binding.cookieName === null ? null : { name: bindingCookieName(binding.cookieName, key), value: cookieValue }
    }
  }

  /**
   * Consumes the state, checks it and its browser binding, and has the provider turn the code into
   * an identity. `cookies` are the request's cookies, for the cookie binding. A native app's
   * id_token or access token, without a redirect's fields, takes the place of the code and the state.
   */
  async complete (providerName: string, input: CompleteInput, cookies: Record<string, string> = {}, log?: FastifyBaseLogger): Promise<CompletedSignIn> {
    const provider = this.provider(providerName)
    if (isNativeInput(input)) return { provider, identity: await this.#native.complete(provider, input) }
    if (input.state === undefined) throw ValidationError.field('state', 'This field is required.', 'STATE_MISSING')
    if (input.error === undefined && input.code === undefined) {
      throw ValidationError.field('code', 'This field is required.', 'CODE_MISSING')
    }

    // The state is consumed before anything else, so a failed attempt cannot be retried with it.
    const key = stateKey(input.state)
    const record = await this.#options.store.take(key)
    if (record === null) throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state unknown, expired or already used' })
    if (record.provider !== provider.name) {
      throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state was issued for another provider' })
    }
    if (Date.now() - record.createdAt > this.#options.stateTtlMs) {
      throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state expired' })
    }

    if (record.bindingChallenge !== null) {
      const verifier = input.binding_verifier
      if (verifier === undefined || !digestsEqual(sha256(verifier), record.bindingChallenge)) {
        throw new SignInError('BINDING_MISMATCH', BINDING_MESSAGE, { reason: verifier === undefined ? 'binding_verifier missing' : 'binding_verifier does not match' })
      }
    }
    if (record.cookieHash !== null) {
      const cookie = this.#options.binding.cookieName === null ? undefined : cookies[bindingCookieName(this.#options.binding.cookieName, key)]
      if (cookie === undefined || !digestsEqual(sha256(cookie), record.cookieHash)) {
        throw new SignInError('BINDING_MISMATCH', BINDING_MESSAGE, { reason: cookie === undefined ? 'binding cookie missing' : 'binding cookie does not match' })
      }
    }

    if (input.error !== undefined) {
      const cancelled = input.error === 'access_denied'
      throw new SignInError(
        cancelled ? 'SIGN_IN_CANCELLED' : 'PROVIDER_AUTHORIZATION_ERROR',
        cancelled ? 'Sign-in was cancelled at the provider.' : 'Sign-in failed at the provider. Try again.',
        { reason: `authorization response carried error=${input.error.slice(0, 64)}` }
      )
    }

    await provider.prepare()
    // RFC 9207: an authorization response from another issuer means a mix-up attack.
    const issuer = provider.issuer()
    if (input.iss === undefined && this.#options.requireIssuerParameter && provider.issuerParameterSupported()) {
      throw new SignInError('ISSUER_MISSING', 'The authorization response lacks its issuer. Start the sign-in again.', {
        reason: 'iss parameter missing although the provider sends it and requireIssuerParameter is on'
      })
    }
    if (input.iss !== undefined && issuer !== null && input.iss !== issuer) {
      throw new SignInError('ISSUER_MISMATCH', 'The authorization response came from an unexpected issuer. Start the sign-in again.', {
        reason: 'iss parameter differs from the provider issuer'
      })
    }

    const identity = await provider.signIn({
      code: input.code as string,
      redirectUri: record.redirectUri,
      codeVerifier: record.codeVerifier,
      nonce: record.nonce,
      user: input.user
    })
    const idToken = identity.tokens.idToken
    if (this.#markCodeFlowIdTokens && idToken !== null) {
      try {
        await this.#native.markCodeFlowIdToken(provider, idToken)
      } catch (error) {
        // The code is spent, so failing here would lose a good sign-in. Without the mark, a copy of
        // this id_token stays usable on a raw-nonce entry until it expires.
        if (!(error instanceof StoreUnavailableError)) throw error
        log?.error({ provider: provider.name, reason: error.reason }, 'social sign-in could not mark its id_token as used')
      }
    }
    return { provider, identity }
  }
}

function mergeScope (provider: Provider, requested: string | undefined): string[] {
  if (requested === undefined || requested.trim() === '') return [...provider.scope]
  const extra = requested.split(' ').filter((scope) => scope !== '')
  const rejected = extra.filter((scope) => !provider.allowedScopes.has(scope) && !provider.scope.includes(scope))
  if (rejected.length > 0) {
    throw ValidationError.field('scope', `Scope not allowed for this provider: ${rejected.slice(0, 5).join(' ').slice(0, 200)}.`, 'SCOPE_NOT_ALLOWED')
  }
  return [...new Set([...provider.scope, ...extra])]
}

function checkRequestParams (provider: Provider, request: BeginOptions): Record<string, string> {
  const params: Record<string, string> = {}
  if (request.prompt !== undefined) {
    const rejected = request.prompt.split(' ').filter((value) => value !== '' && !provider.allowedPrompts.has(value))
    if (rejected.length > 0 || request.prompt.trim() === '') {
      throw ValidationError.field('prompt', `Prompt not allowed for this provider: ${rejected.slice(0, 5).join(' ').slice(0, 100)}.`, 'PROMPT_NOT_ALLOWED')
    }
    params.prompt = request.prompt
  }
  if (request.loginHint !== undefined) {
    if (!provider.allowLoginHint) throw ValidationError.field('login_hint', 'This provider does not accept login_hint.', 'LOGIN_HINT_NOT_ALLOWED')
    params.login_hint = request.loginHint
  }
  return params
}
