import type { FastifyRequest } from 'fastify'
import { SignInError, SocialAuthOptionsError } from '../errors.js'
import type { Identity } from '../identity.js'
import { TokenCipher, tokenContext } from './token-cipher.js'
import { AccountConflictError, type AccountData, type AccountsAdapter, type NewUser, type StoredUser } from './types.js'

/** Options of the accounts pipeline, used in place of a `resolveUser` function. */
export interface AccountsOptions {
  adapter: AccountsAdapter
  /** Link a new provider account to the user with the same email, when the provider verified it. Default false. */
  associateByEmail?: boolean
  /** Only verified emails in these domains may sign in. */
  allowedDomains?: string[]
  /** Only these verified emails may sign in. With `allowedDomains`, either list admits. */
  allowedEmails?: string[]
  /** Maps an identity to the new user's fields. Default: its email, username and names. */
  createUser?: (identity: Identity, request: FastifyRequest) => NewUser | Promise<NewUser>
  /** AES-256-GCM key for provider tokens at rest: 32 bytes, or a base64 string of them. */
  encryptionKey?: string | Uint8Array | undefined
  /** Keep the provider's tokens in the linked account. Default true. */
  storeTokens?: boolean
  /** Create users for identities that match none. With false, only existing users sign in. Default true. */
  signUp?: boolean
}

/** A resolved sign-in: the user and whether this sign-in created it. */
export interface AccountsResult {
  user: StoredUser
  created: boolean
}

const MAX_ATTEMPTS = 3

/**
 * Builds the sign-in pipeline. It finds the user linked to the provider account, or links the
 * account by a verified email when allowed, or creates the user with the account. Then it
 * refreshes the account's tokens and last login.
 */
export function createAccountsPipeline (options: AccountsOptions): (identity: Identity, request: FastifyRequest) => Promise<AccountsResult> {
  const adapter = checkAdapter(options.adapter)
  const cipher = options.encryptionKey === undefined ? null : new TokenCipher(options.encryptionKey)
  const storeTokens = options.storeTokens ?? true
  const allowedDomains = lowerCaseList(options.allowedDomains, 'accounts.allowedDomains')
  const allowedEmails = lowerCaseList(options.allowedEmails, 'accounts.allowedEmails')
  const associateByEmail = options.associateByEmail ?? false
  const createUser = options.createUser ?? defaultNewUser
  const signUp = options.signUp ?? true
  if (typeof signUp !== 'boolean') throw new SocialAuthOptionsError('accounts.signUp must be a boolean')

  return async (identity, request) => {
    checkAllowed(identity, allowedDomains, allowedEmails)
    const account = accountData(identity, cipher, storeTokens)

    // A concurrent first sign-in of the same identity can win the unique constraint. The loser
    // then finds what the winner stored.
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await resolveOnce(identity, request, account)
        if (!result.user.isActive) throw new SignInError('USER_INACTIVE', 'This account is inactive.', { reason: `user ${String(result.user.id)} is inactive` })
        return result
      } catch (error) {
        if (!(error instanceof AccountConflictError) || attempt >= MAX_ATTEMPTS) throw error
      }
    }
  }

  async function resolveOnce (identity: Identity, request: FastifyRequest, account: AccountData): Promise<AccountsResult> {
    const linked = await adapter.findUserByAccount(identity.provider, identity.uid)
    if (linked !== null) {
      // A refused user's sign-in changes nothing stored.
      if (!linked.isActive) return { user: linked, created: false }
      await refreshAccount(account)
      return { user: linked, created: false }
    }

    if (identity.email !== null) {
      const existing = await adapter.findUserByEmail(identity.email)
      if (existing !== null) {
        // A concurrent first sign-in of this identity may have created the user since the lookup above.
        const linkedMeanwhile = await adapter.findUserByAccount(identity.provider, identity.uid)
        if (linkedMeanwhile !== null) return { user: linkedMeanwhile, created: false }
        // An unverified email proves nothing, so linking on it would hand the account to anyone who typed it.
        if (!identity.emailVerified || !associateByEmail) {
          throw new SignInError('EMAIL_IN_USE', 'An account with this email already exists. Sign in the way you signed in before.', {
            reason: identity.emailVerified ? 'verified email matches a user, and associateByEmail is off' : 'unverified email matches a user'
          })
        }
        if (!existing.isActive) throw new SignInError('USER_INACTIVE', 'This account is inactive.')
        await adapter.linkAccount(existing.id, account)
        return { user: existing, created: false }
      }
    }

    if (!signUp) {
      throw new SignInError('SIGN_UP_CLOSED', 'No account matches this sign-in, and new accounts are not open.', { reason: 'signUp is false' })
    }
    const fields = await createUser(identity, request)
    // The users table's email is what linking by email trusts, so an unverified one never goes there,
    // whatever a custom createUser returns.
    const user = await adapter.createUserWithAccount({ ...fields, email: identity.emailVerified ? fields.email : null }, account)
    return { user, created: true }
  }

  /**
   * Updates a linked account. The stored refresh token is kept, in the same statement, when the
   * provider sent none (Google sends one only on first consent), and dropped when tokens are not
   * stored. A clear one left from before an encryption key was set is encrypted.
   */
  async function refreshAccount (account: AccountData): Promise<void> {
    if (!storeTokens) {
      await adapter.updateAccount(account)
      return
    }
    // An id_token sign-in brings no access token, so the one from an earlier sign-in stays usable.
    const keepStoredAccessToken = account.accessToken === null
    if (account.refreshToken !== null) {
      await adapter.updateAccount({ ...account, keepStoredAccessToken })
      return
    }
    await adapter.updateAccount({ ...account, keepStoredRefreshToken: true, keepStoredAccessToken })
    if (cipher === null) return
    const stored = (await adapter.findAccount(account.provider, account.uid))?.refreshToken ?? null
    if (stored !== null && !stored.startsWith('v1.')) {
      // NOTE: a concurrent sign-in that stores a new refresh token between this read and this write
      // loses it. That can happen only once per account, on its first sign-in after a key is added.
      await adapter.updateAccount({ ...account, keepStoredAccessToken, refreshToken: cipher.encrypt(stored, tokenContext(account.provider, account.uid, 'refresh_token')) })
    }
  }
}

function defaultNewUser (identity: Identity): NewUser {
  return {
    // Only a verified email goes into the users table, where it would let others link by email.
    email: identity.emailVerified ? identity.email : null,
    username: identity.username,
    firstName: identity.firstName,
    lastName: identity.lastName
  }
}

/** Lowercases ASCII letters only, so look-alike Unicode letters never fold into another address. */
export function foldEmail (email: string): string {
  return email.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
}

function accountData (identity: Identity, cipher: TokenCipher | null, storeTokens: boolean): AccountData {
  const seal = (value: string | null, column: string): string | null => {
    if (!storeTokens || value === null) return null
    return cipher === null ? value : cipher.encrypt(value, tokenContext(identity.provider, identity.uid, column))
  }
  return {
    provider: identity.provider,
    uid: identity.uid,
    email: identity.email,
    accessToken: seal(identity.tokens.accessToken, 'access_token'),
    refreshToken: seal(identity.tokens.refreshToken, 'refresh_token'),
    idToken: seal(identity.tokens.idToken, 'id_token'),
    tokenExpiresAt: storeTokens ? identity.tokens.expiresAt : null,
    scope: identity.tokens.scope,
    extraData: {
      username: identity.username,
      name: identity.name,
      firstName: identity.firstName,
      lastName: identity.lastName,
      picture: identity.picture,
      emailVerified: identity.emailVerified
    },
    lastLoginAt: new Date()
  }
}

function checkAllowed (identity: Identity, domains: Set<string> | null, emails: Set<string> | null): void {
  if (domains === null && emails === null) return
  const email = identity.emailVerified && identity.email !== null ? foldEmail(identity.email) : null
  // Exactly one @ with text on both sides: anything else is no address to compare.
  const parts = email?.split('@') ?? []
  const domain = parts.length === 2 && parts[0] !== '' && parts[1] !== '' ? parts[1] as string : null
  const admitted = email !== null && domain !== null && ((emails?.has(email) ?? false) || (domains?.has(domain) ?? false))
  if (!admitted) {
    throw new SignInError('EMAIL_NOT_ALLOWED', 'Sign-in is limited to approved email addresses.', {
      reason: email === null ? 'no verified email' : 'email outside allowedDomains and allowedEmails'
    })
  }
}

function lowerCaseList (value: unknown, where: string): Set<string> | null {
  if (value === undefined) return null
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new SocialAuthOptionsError(`${where} must be an array of non-empty strings`)
  }
  return new Set(value.map((item: string) => foldEmail(item)))
}

function checkAdapter (adapter: unknown): AccountsAdapter {
  const methods = ['findUserByAccount', 'findUserByEmail', 'findUserById', 'createUserWithAccount', 'linkAccount', 'updateAccount', 'findAccount']
  const missing = methods.filter((method) => typeof (adapter as Record<string, unknown> | null)?.[method] !== 'function')
  if (missing.length > 0) throw new SocialAuthOptionsError(`accounts.adapter is missing ${missing.join(', ')}; use SqliteAccountsAdapter, PostgresAccountsAdapter or implement AccountsAdapter`)
  return adapter as AccountsAdapter
}
