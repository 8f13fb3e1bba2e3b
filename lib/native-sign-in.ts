import { createHash } from 'node:crypto'
import { SignInError, StoreKeyExistsError, ValidationError } from './errors.js'
import type { Identity } from './identity.js'
import type { Provider } from './providers/types.js'
import type { StateStore } from './state/store.js'

/** POST fields of a native app's sign-in, after schema validation. */
export interface NativeInput {
  id_token?: string
  nonce?: string
  access_token?: string
  /** Apple's `user` JSON with the name, from the first sign-in. */
  user?: string
  code?: string
  state?: string
  error?: string
}

// Marker keys live beside the state keys, which are bare base64url digests and so never contain a colon.
const REPLAY_KEY_PREFIX = 'id_token:'

/**
 * Completes the sign-in of a native app that got an id_token or an access token from the provider's
 * SDK and POSTs it in place of a code and a state. Each id_token signs in once: the hash of its
 * signed part stays in the state store for as long as the token would be accepted.
 */
export class NativeSignIn {
  readonly #store: StateStore
  readonly #clockToleranceSeconds: number

  constructor (store: StateStore, clockToleranceSeconds: number) {
    this.#store = store
    this.#clockToleranceSeconds = clockToleranceSeconds
  }

  async complete (provider: Provider, input: NativeInput): Promise<Identity> {
    if (input.id_token !== undefined && input.access_token !== undefined) {
      throw new ValidationError({ non_field_errors: ['Send id_token or access_token, not both.'] }, 'NATIVE_TOKENS_COMBINED')
    }
    if (input.code !== undefined || input.state !== undefined || input.error !== undefined) {
      throw new ValidationError({ non_field_errors: ['Send code and state from a redirect, or a native app\'s token, not both.'] }, 'NATIVE_AND_REDIRECT_COMBINED')
    }
    if (input.id_token !== undefined) return await this.#withIdToken(provider, input.id_token, input)

    if (input.nonce !== undefined) throw ValidationError.field('nonce', 'This field is allowed only with id_token.', 'NONCE_WITHOUT_ID_TOKEN')
    if (!provider.accessTokenSignIn) {
      throw ValidationError.field('access_token', 'This provider does not accept sign-in with an access token.', 'ACCESS_TOKEN_SIGN_IN_NOT_ALLOWED')
    }
    await provider.prepare()
    return await provider.signInWithAccessToken(input.access_token as string)
  }

  async #withIdToken (provider: Provider, idToken: string, input: NativeInput): Promise<Identity> {
    if (!provider.idTokenSignIn) {
      throw ValidationError.field('id_token', 'This provider does not accept sign-in with an id_token.', 'ID_TOKEN_SIGN_IN_NOT_ALLOWED')
    }
    if (input.nonce === undefined && provider.idTokenNonceRequired) {
      throw ValidationError.field('nonce', 'This field is required with id_token.', 'NONCE_MISSING')
    }
    await provider.prepare()
    const { identity, acceptedUntil } = await provider.signInWithIdToken({ idToken, nonce: input.nonce, user: input.user })

    // The signed part, not the whole token: an ECDSA signature can be altered into another valid one
    // (s to n - s), which would give a replayed token a new hash.
    const signingInput = idToken.slice(0, idToken.lastIndexOf('.'))
    const key = REPLAY_KEY_PREFIX + createHash('sha256').update(signingInput).digest('base64url')
    // The verifier accepts the token until then plus the clock tolerance, so the marker lives as long.
    const ttlMs = Math.max(1000, (acceptedUntil + this.#clockToleranceSeconds) * 1000 - Date.now())
    try {
      await this.#store.save(key, {
        provider: provider.name,
        redirectUri: '',
        codeVerifier: null,
        nonce: null,
        createdAt: Date.now(),
        bindingChallenge: null,
        cookieHash: null
      }, Math.ceil(ttlMs))
    } catch (error) {
      if (!(error instanceof StoreKeyExistsError)) throw error
      throw new SignInError('ID_TOKEN_REPLAYED', 'This identity token was used before. Sign in again in the app.', { reason: 'id_token already signed in once' })
    }
    return identity
  }
}
