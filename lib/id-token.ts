import { createHash } from 'node:crypto'
import {
  createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type JWTVerifyResult
} from 'jose'
import { ProviderError, SignInError } from './errors.js'

/** Asymmetric JWS algorithms accepted for id_tokens. `none` and HMAC (keyed with the client secret) never are. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'
] as const

// Header `typ` values of id_tokens, lower-cased and without `application/`: JWT (RFC 7519),
// JOSE (RFC 7515), and id_token+jwt, which some servers use.
const ID_TOKEN_TYPES = new Set<unknown>(['jwt', 'jose', 'id_token+jwt'])
// Keycloak types each of its tokens with a `typ` claim (org.keycloak.util.TokenUtil): `ID` for
// id_tokens, `Bearer`, `Refresh`, `Offline` and others for the rest. Some providers send `id_token`.
// A token without the claim passes.
const ID_TOKEN_CLAIM_TYPES = new Set(['id', 'id_token'])
// Candidate keys tried for a header without `kid`, which bounds the work a forged token can cause.
const MAX_KEY_CANDIDATES = 10

/** Seconds after its `iat` during which an id_token is accepted, whatever its `exp`. */
export const MAX_ID_TOKEN_AGE_SECONDS = 3600

export interface IdTokenVerifierOptions {
  /** Accepted `iss` values, or a check for issuers that depend on the token (Microsoft's multi-tenant ones). */
  issuer: string | string[] | ((issuer: string, claims: JWTPayload) => boolean)
  /** Accepted `aud` values, unless a call names others. An `azp` claim must be one of them too. */
  audiences: string[]
  jwksUri: string
  algorithms: string[]
  clockToleranceSeconds: number
  timeoutMs: number
  /** Milliseconds after a key set fetch during which an unknown `kid` causes no new fetch. */
  jwksCooldownMs: number
}

/**
 * Verifies id_tokens against the provider's JWKS with jose. jose refetches the key set when a token
 * names an unknown `kid`, unless it fetched it within the cooldown, so forged `kid` values cause at
 * most one fetch per cooldown.
 */
export class IdTokenVerifier {
  readonly #options: IdTokenVerifierOptions
  readonly #keys: JWTVerifyGetKey

  constructor (options: IdTokenVerifierOptions) {
    this.#options = options
    this.#keys = createRemoteJWKSet(new URL(options.jwksUri), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: options.jwksCooldownMs,
      cacheMaxAge: 10 * 60_000
    })
  }

  /**
   * Verifies the signature and the claims of OpenID Connect Core 1.0 section 3.1.3.7, and the nonce
   * unless `expectedNonce` is null. `audiences` replaces the configured ones for this call.
   */
  async verify (idToken: string, expectedNonce: string | null, audiences: string[] = this.#options.audiences): Promise<JWTPayload> {
    const options: JWTVerifyOptions = {
      issuer: typeof this.#options.issuer === 'function' ? undefined : this.#options.issuer,
      audience: audiences,
      algorithms: this.#options.algorithms,
      clockTolerance: this.#options.clockToleranceSeconds,
      requiredClaims: ['sub', 'iat', 'exp'],
      // An id_token from a code exchange or a native SDK was issued moments ago, so an old iat means a replay.
      maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS
    }
    let result: JWTVerifyResult
    try {
      result = await verifyWithAnyKey(idToken, this.#keys, options)
    } catch (error) {
      throw mapJoseError(error)
    }
    const payload = result.payload

    // Other JWTs the provider signs, such as RFC 9068 access tokens (at+jwt), back-channel logout
    // tokens (logout+jwt, with an events claim) or Keycloak's other tokens (a typ claim other than ID),
    // must never pass as id_tokens.
    const headerType: unknown = result.protectedHeader.typ
    const type = typeof headerType === 'string' ? lowerCaseAscii(headerType).replace(/^application\//, '') : headerType
    if (type !== undefined && !ID_TOKEN_TYPES.has(type as string)) throw invalidIdToken(`token type ${JSON.stringify(type)?.slice(0, 40)} is not an id_token's`)
    if (payload.events !== undefined) throw invalidIdToken('token carries an events claim, as logout tokens do')
    if (payload.typ !== undefined && (typeof payload.typ !== 'string' || !ID_TOKEN_CLAIM_TYPES.has(lowerCaseAscii(payload.typ)))) {
      throw invalidIdToken(`token's typ claim ${JSON.stringify(payload.typ)?.slice(0, 40)} is not an id_token's`)
    }

    const issuerCheck = this.#options.issuer
    if (typeof issuerCheck === 'function' && (typeof payload.iss !== 'string' || !issuerCheck(payload.iss, payload))) {
      throw invalidIdToken('iss claim does not match the issuer template')
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw invalidIdToken('sub claim is not a non-empty string')
    }
    const tokenAudiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if (payload.azp !== undefined && (typeof payload.azp !== 'string' || !audiences.includes(payload.azp))) {
      throw invalidIdToken('azp claim names a client that is not accepted')
    }
    if (tokenAudiences.length > 1 && payload.azp === undefined) {
      throw invalidIdToken('azp claim missing from a token with several audiences')
    }
    if (expectedNonce !== null && payload.nonce !== expectedNonce) {
      throw invalidIdToken(payload.nonce === undefined ? 'nonce claim missing' : 'nonce claim does not match')
    }
    return payload
  }
}

/**
 * Checks a native app's nonce against the token's claim. With the `sha256` form only the raw nonce
 * proves anything: the hash is in the token for anyone holding it to read, so it is not accepted.
 */
export function checkNativeNonce (claim: unknown, nonce: string | undefined, form: 'raw' | 'sha256'): void {
  if (nonce === undefined) {
    if (claim !== undefined) throw invalidIdToken('nonce claim present, but the request sent no nonce')
    return
  }
  if (claim === undefined) throw invalidIdToken('nonce claim missing')
  const hex = createHash('sha256').update(nonce).digest('hex')
  const base64url = createHash('sha256').update(nonce).digest('base64url')
  const matches = form === 'raw' ? claim === nonce : claim === hex || claim === base64url
  if (matches) return
  // The other form matching usually means a misconfiguration, so the log names the fix.
  if (form === 'raw' && (claim === hex || claim === base64url)) throw invalidIdToken('nonce claim is the SHA-256 of the nonce; set idTokenNonceForm: \'sha256\'')
  if (form === 'sha256' && claim === nonce) {
    throw invalidIdToken('nonce sent equals the nonce claim, but idTokenNonceForm sha256 expects the claim to be its SHA-256: ' +
      'hash the nonce in the app, or set idTokenNonceForm: \'raw\'. A POST of the claim read from a stolen token looks the same')
  }
  throw invalidIdToken('nonce claim does not match')
}

/** Lower-cases ASCII letters only, so that no other character (the Kelvin sign, say) folds into one. */
function lowerCaseAscii (value: string): string {
  return value.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
}

/** Builds the 400 of a rejected id_token, with the reason for the log. */
export function invalidIdToken (reason: string, cause?: unknown): SignInError {
  return new SignInError('ID_TOKEN_INVALID', 'The identity token from the provider is invalid. Sign in again.', { cause, reason })
}

/**
 * Verifies with the key set, and when the header matches several keys (a token without `kid`
 * against a set with two RSA keys, say), with each of them in turn, as jose's documentation
 * suggests. Google and Microsoft publish several keys at once.
 */
async function verifyWithAnyKey (idToken: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(idToken, keys, options)
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw error
    let tried = 0
    for await (const key of error) {
      if (++tried > MAX_KEY_CANDIDATES) break
      try {
        return await jwtVerify(idToken, key, options)
      } catch (inner) {
        // A key that cannot verify this algorithm (an RSA key under 2048 bits, say) raises a TypeError
        // in jose, and is skipped like a wrong one.
        if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed) && !(inner instanceof TypeError)) throw inner
      }
    }
    throw new joseErrors.JWSSignatureVerificationFailed('no key of the key set that matches the header verifies the signature')
  }
}

function mapJoseError (error: unknown): Error {
  // Key set retrieval problems are the provider's, everything else is the token's.
  if (error instanceof joseErrors.JWKSTimeout) {
    return new ProviderError('PROVIDER_TIMEOUT', 'JWKS endpoint timed out', { cause: error })
  }
  if (error instanceof joseErrors.JWKSInvalid) {
    return new ProviderError('PROVIDER_BAD_RESPONSE', `JWKS endpoint returned an unusable key set (${error.code})`, { cause: error })
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') {
    // Client ids are public, and naming the token's audience shows which one is missing from the options.
    const audience = JSON.stringify(error.payload.aud)?.slice(0, 300) ?? 'none'
    return invalidIdToken(`aud claim ${audience} is not clientId, nor in clientIds for id_token sign-in`, error)
  }
  if (error instanceof joseErrors.JOSEError && error.code !== 'ERR_JOSE_GENERIC') {
    return invalidIdToken(`${error.code}: ${error.message}`, error)
  }
  return new ProviderError('PROVIDER_BAD_RESPONSE', `JWKS endpoint could not be used: ${(error as Error).message}`, { cause: error })
}
