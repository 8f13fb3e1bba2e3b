import { createHash, randomBytes } from 'node:crypto'
import { ProviderNotFoundError, SignInError, ValidationError } from './errors.js'
import type { Identity } from './identity.js'
import type { Provider } from './providers/types.js'
import type { StateStore } from './state/store.js'

/** POST input from the front end, after schema validation. */
export interface CompleteInput {
  code?: string
  state: string
  iss?: string
  error?: string
  error_description?: string
  /** Apple's first-sign-in `user` JSON, forwarded by the front end. */
  user?: string
}

export interface FlowOptions {
  providers: Map<string, Provider>
  redirectUris: Set<string> | null
  store: StateStore
  stateTtlMs: number
}

/** Result of a completed sign-in, before the host's user and token strategy run. */
export interface CompletedSignIn {
  provider: Provider
  identity: Identity
}

const INVALID_STATE_MESSAGE = 'Invalid or expired state. Start the sign-in again.'

/** Derives the store key from a state, so a dump of the store contains no usable state. */
export function stateKey (state: string): string {
  return createHash('sha256').update(state).digest('base64url')
}

/** The two halves of a sign-in: `begin` for GET and `complete` for POST. */
export class SignInFlow {
  readonly #options: FlowOptions

  constructor (options: FlowOptions) {
    this.#options = options
  }

  provider (name: string): Provider {
    const provider = this.#options.providers.get(name)
    if (provider === undefined) throw new ProviderNotFoundError()
    return provider
  }

  /** Stores a fresh state record and returns the authorization URL. */
  async begin (providerName: string, redirectUri: string, requestedScope: string | undefined): Promise<string> {
    const provider = this.provider(providerName)
    const allowedRedirectUris = provider.redirectUris ?? this.#options.redirectUris
    if (allowedRedirectUris === null || !allowedRedirectUris.has(redirectUri)) {
      throw ValidationError.field('redirect_uri', 'This redirect URI is not allowed.', 'REDIRECT_URI_NOT_ALLOWED')
    }
    const scope = mergeScope(provider, requestedScope)
    await provider.prepare()

    // 96 random bytes: 256 bits each for the state, the PKCE verifier and the nonce.
    const random = randomBytes(96)
    const state = random.subarray(0, 32).toString('base64url')
    const codeVerifier = provider.pkce ? random.subarray(32, 64).toString('base64url') : null
    const nonce = provider.openid ? random.subarray(64, 96).toString('base64url') : null

    await this.#options.store.save(stateKey(state), {
      provider: provider.name,
      redirectUri,
      codeVerifier,
      nonce,
      createdAt: Date.now()
    }, this.#options.stateTtlMs)

    return provider.authorizationUrl({
      redirectUri,
      state,
      scope,
      codeChallenge: codeVerifier === null ? null : createHash('sha256').update(codeVerifier).digest('base64url'),
      nonce
    })
  }

  /** Consumes the state, checks it, and has the provider turn the code into an identity. */
  async complete (providerName: string, input: CompleteInput): Promise<CompletedSignIn> {
    const provider = this.provider(providerName)
    if (input.error === undefined && input.code === undefined) {
      throw ValidationError.field('code', 'This field is required.', 'CODE_MISSING')
    }

    // The state is consumed before anything else, so a failed attempt cannot be retried with it.
    const record = await this.#options.store.take(stateKey(input.state))
    if (record === null) throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state unknown, expired or already used' })
    if (record.provider !== provider.name) {
      throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state was issued for another provider' })
    }
    if (Date.now() - record.createdAt > this.#options.stateTtlMs) {
      throw new SignInError('STATE_INVALID', INVALID_STATE_MESSAGE, { reason: 'state expired' })
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
    return { provider, identity }
  }
}

function mergeScope (provider: Provider, requested: string | undefined): string[] {
  if (requested === undefined || requested.trim() === '') return [...provider.scope]
  const extra = requested.split(' ').filter((scope) => scope !== '')
  const refused = extra.filter((scope) => !provider.allowedScopes.has(scope) && !provider.scope.includes(scope))
  if (refused.length > 0) {
    throw ValidationError.field('scope', `Scope not allowed for this provider: ${refused.slice(0, 5).join(' ').slice(0, 200)}.`, 'SCOPE_NOT_ALLOWED')
  }
  return [...new Set([...provider.scope, ...extra])]
}
