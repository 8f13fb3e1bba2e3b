/**
 * Pending sign-in, kept between the GET that starts it and the POST that completes it.
 * Stores receive it under a key derived from the state, never the state itself.
 */
export interface StateRecord {
  /** Configured provider name that issued the state. */
  provider: string
  /** Redirect URI sent in the authorization request, which the code exchange must repeat. */
  redirectUri: string
  /** PKCE code verifier, or null for a provider without PKCE. */
  codeVerifier: string | null
  /** OpenID Connect nonce, or null for a plain OAuth 2.0 provider. */
  nonce: string | null
  /** Creation time, in milliseconds since the epoch. */
  createdAt: number
  /** base64url SHA-256 that the front end's `binding_verifier` must match, or null. */
  bindingChallenge: string | null
  /** base64url SHA-256 of the binding cookie's value, or null. */
  cookieHash: string | null
}

/**
 * Server-side storage of pending sign-ins. Every operation touches one key, so an implementation
 * may shard freely (a Redis Cluster, for one).
 */
export interface StateStore {
  /**
   * Stores a record for `ttlMs` milliseconds. Never overwrites an existing key: rejects with
   * `StoreKeyExistsError` when the key exists, and with `StoreUnavailableError` when the store
   * cannot be used. A store that reports an existing key otherwise turns a replayed id_token
   * into a 503 instead of a 400.
   */
  save: (key: string, record: StateRecord, ttlMs: number) => Promise<void>
  /**
   * Removes and returns the record in one atomic step, so of two concurrent calls with one key at
   * most one gets the record. Resolves to null for an unknown or expired key.
   */
  take: (key: string) => Promise<StateRecord | null>
}

const FIELDS = ['provider', 'redirectUri', 'codeVerifier', 'nonce', 'createdAt', 'bindingChallenge', 'cookieHash'] as const

/** Serializes a record as a compact JSON array, the form shared stores keep. */
export function encodeRecord (record: StateRecord): string {
  return JSON.stringify([record.provider, record.redirectUri, record.codeVerifier, record.nonce, record.createdAt, record.bindingChallenge, record.cookieHash])
}

/** Parses what `encodeRecord` wrote. Returns null for anything else, so a foreign value acts as an unknown state. */
export function decodeRecord (value: string): StateRecord | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return null
  }
  // Records of five fields come from versions before the browser binding. Accepting them keeps
  // sign-ins working while a rolling deploy runs both versions.
  if (!Array.isArray(parsed) || (parsed.length !== FIELDS.length && parsed.length !== 5)) return null
  const [provider, redirectUri, codeVerifier, nonce, createdAt, bindingChallenge = null, cookieHash = null] = parsed as unknown[]
  if (typeof provider !== 'string' || typeof redirectUri !== 'string' || typeof createdAt !== 'number') return null
  if (!isNullableString(codeVerifier) || !isNullableString(nonce) || !isNullableString(bindingChallenge) || !isNullableString(cookieHash)) return null
  return { provider, redirectUri, codeVerifier, nonce, createdAt, bindingChallenge, cookieHash }
}

function isNullableString (value: unknown): value is string | null {
  return value === null || typeof value === 'string'
}
