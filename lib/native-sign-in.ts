import { createHash } from 'node:crypto'
import { decodeJwt } from 'jose'
import { SignInError, StoreKeyExistsError, ValidationError } from './errors.js'
import { MAX_ID_TOKEN_AGE_SECONDS } from './id-token.js'
import type { Identity } from './identity.js'
import type { Provider } from './providers/types.js'
import type { StateStore } from './state/store.js'

/** POST fields that decide between a redirect's sign-in and a native app's, after schema validation. */
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

/** Fields of a native app's sign-in, which only a JSON body may carry, so no token or nonce lands in a logged URL. */
export const NATIVE_FIELDS = ['id_token', 'access_token', 'nonce', 'user'] as const

/**
 * True for a native app's sign-in: an id_token or access token and none of a redirect's fields.
 * A redirect that also carries an id_token, as Apple's form post does, stays a redirect's sign-in,
 * whose extra fields are ignored.
 */
export function isNativeInput (input: NativeInput): boolean {
  const redirect = input.code !== undefined || input.state !== undefined || input.error !== undefined
  return !redirect && (input.id_token !== undefined || input.access_token !== undefined)
}

// Seconds that a used id_token's marker outlives its acceptance, for clock differences between instances.
const CLOCK_MARGIN_SECONDS = 60

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
    if (input.id_token !== undefined) return await this.#withIdToken(provider, input.id_token, input)

    const accessToken = input.access_token
    if (accessToken === undefined) throw new TypeError('NativeSignIn.complete needs id_token or access_token')
    if (input.nonce !== undefined) throw ValidationError.field('nonce', 'This field is allowed only with id_token.', 'NONCE_WITHOUT_ID_TOKEN')
    if (!provider.accessTokenSignIn) {
      throw ValidationError.field('access_token', 'This provider does not accept sign-in with an access token.', 'ACCESS_TOKEN_SIGN_IN_NOT_ALLOWED')
    }
    await provider.prepare()
    return await provider.signInWithAccessToken(accessToken)
  }

  /**
   * Marks the verified id_token of a code exchange as used, so that it cannot sign in again on the
   * native path: the token reaches `resolveUser` and the accounts table, where others may read it.
   */
  async markCodeFlowIdToken (provider: Provider, idToken: string): Promise<void> {
    const claims = decodeJwt(idToken)
    await this.#markUsed(provider, idToken, acceptedUntil(claims.exp, claims.iat))
  }

  async #withIdToken (provider: Provider, idToken: string, input: NativeInput): Promise<Identity> {
    if (!provider.idTokenSignIn) {
      throw ValidationError.field('id_token', 'This provider does not accept sign-in with an id_token.', 'ID_TOKEN_SIGN_IN_NOT_ALLOWED')
    }
    if (input.nonce === undefined && provider.idTokenNonceRequired) {
      throw ValidationError.field('nonce', 'This field is required with id_token.', 'NONCE_MISSING')
    }
    await provider.prepare()
    const { identity, claims } = await provider.signInWithIdToken({ idToken, nonce: input.nonce, user: input.user })
    await this.#markUsed(provider, idToken, acceptedUntil(claims.exp, claims.iat))
    return identity
  }

  async #markUsed (provider: Provider, idToken: string, until: number): Promise<void> {
    // The signed part, not the whole token: a signature can be re-encoded, or with ECDSA turned into
    // its mirror value (s to n - s), which would give a replayed token a new hash.
    const signingInput = idToken.slice(0, idToken.lastIndexOf('.'))
    const key = REPLAY_KEY_PREFIX + createHash('sha256').update(signingInput).digest('base64url')
    // The verifier accepts the token until then plus the clock tolerance, comparing whole seconds, so
    // the marker outlives that by a margin for the clocks of other instances that share the store.
    const ttlMs = Math.max(1000, (Math.ceil(until) + this.#clockToleranceSeconds + CLOCK_MARGIN_SECONDS) * 1000 - Date.now())
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
  }
}

/**
 * Returns the end of an id_token's acceptance, in seconds since the epoch and before the clock
 * tolerance: its `exp`, or the verifier's maximum age after its `iat` when that comes first.
 */
function acceptedUntil (exp: unknown, iat: unknown): number {
  // The verifier requires both claims as numbers, so this only guards a caller that skipped it.
  if (typeof exp !== 'number' || typeof iat !== 'number') throw new TypeError('a verified id_token has numeric exp and iat claims')
  return Math.min(exp, iat + MAX_ID_TOKEN_AGE_SECONDS)
}
