/** A user as the adapters store it, in the reference `users` table. */
export interface StoredUser {
  id: number | string
  email: string | null
  username: string | null
  firstName: string | null
  lastName: string | null
  isActive: boolean
}

/** Fields of a user that the pipeline creates. */
export interface NewUser {
  email: string | null
  username: string | null
  firstName: string | null
  lastName: string | null
}

/** A linked social account's data, with tokens already encrypted when a key is set. */
export interface AccountData {
  provider: string
  uid: string
  email: string | null
  accessToken: string | null
  refreshToken: string | null
  idToken: string | null
  tokenExpiresAt: Date | null
  scope: string | null
  /** Non-secret details kept from the provider, such as the profile's name and picture. */
  extraData: Record<string, unknown>
  lastLoginAt: Date
  /** For `updateAccount`: keep the stored refresh token, in one statement, instead of writing `refreshToken`. */
  keepStoredRefreshToken?: boolean
  /**
   * For `updateAccount`: keep the stored access token, its expiry and scope, in one statement,
   * instead of writing `accessToken`, `tokenExpiresAt` and `scope`. Set after an id_token sign-in,
   * which brings no access token.
   */
  keepStoredAccessToken?: boolean
}

/** A stored social account, as `findAccount` returns it. */
export interface StoredAccount extends AccountData {
  userId: number | string
}

/**
 * Storage of users and linked social accounts for the accounts pipeline. Each method is one atomic
 * step, and the `(provider, uid)` pair is unique.
 */
export interface AccountsAdapter {
  /** Finds the user linked to a provider account. */
  findUserByAccount: (provider: string, uid: string) => Promise<StoredUser | null>
  /** Finds a user by email, ignoring case. */
  findUserByEmail: (email: string) => Promise<StoredUser | null>
  findUserById: (id: number | string) => Promise<StoredUser | null>
  /**
   * Creates a user and links the account in one transaction. Rejects with `AccountConflictError`
   * when the account is linked already or the email belongs to another user, and then stores nothing.
   */
  createUserWithAccount: (user: NewUser, account: AccountData) => Promise<StoredUser>
  /** Links an account to an existing user. Rejects with `AccountConflictError` when it is linked already. */
  linkAccount: (userId: number | string, account: AccountData) => Promise<void>
  /**
   * Replaces the tokens, scope, extra data and last login of a linked account, writing each value
   * as given, except the refresh token when `keepStoredRefreshToken` is true, and the access token
   * with its expiry and scope when `keepStoredAccessToken` is true.
   */
  updateAccount: (account: AccountData) => Promise<void>
  /** Reads a linked account with its stored (possibly encrypted) tokens. */
  findAccount: (provider: string, uid: string) => Promise<StoredAccount | null>
}

/** Raised by adapters when a unique constraint refuses a write, because another request won a race. */
export class AccountConflictError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AccountConflictError'
  }
}
