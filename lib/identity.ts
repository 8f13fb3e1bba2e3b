/** Tokens the provider issued at sign-in. */
export interface ProviderTokens {
  /** The provider's access token, or null after an id_token sign-in, which has none. */
  accessToken: string | null
  refreshToken: string | null
  /** Expiry of the access token, or null when the provider gave none. */
  expiresAt: Date | null
  idToken: string | null
  /** Granted scopes as the provider reported them, space-separated, or null when it did not. */
  scope: string | null
}

/** Tokens that a code exchange or a refresh returned, which always include an access token. */
export type IssuedProviderTokens = ProviderTokens & { accessToken: string }

/** The normalized identity every provider produces, handed to `resolveUser`. */
export interface Identity {
  /** Configured provider name, as in the URL. */
  provider: string
  /** Stable user id at the provider, as a string. */
  uid: string
  email: string | null
  /** True only when the provider asserts that it verified `email`. */
  emailVerified: boolean
  username: string | null
  name: string | null
  firstName: string | null
  lastName: string | null
  picture: string | null
  tokens: ProviderTokens
  /** The provider's own profile: id_token claims merged with the userinfo response. */
  raw: Record<string, unknown>
}

/** Returns the value when it is a non-empty string, otherwise null. */
export function stringOrNull (value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null
}
