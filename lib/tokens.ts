import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { SignJWT } from 'jose'
import { SocialAuthOptionsError } from './errors.js'
import { rejectUnknownOptions } from './providers/options.js'
import type { Identity } from './identity.js'

/**
 * The app's user, as `resolveUser` returns it. The plugin reads only its `id` (default token
 * strategy) and what `serializeUser` picks, so any type of the host's fits.
 */
export type AppUser = any

/** Options of the default token strategy: an HS256 JWT signed with jose. */
export interface JwtOptions {
  /** Signing key: a string or bytes of at least 32 bytes (RFC 7518 section 3.2 wants a key as long as the hash). */
  secret: string | Uint8Array
  /** Token lifetime in seconds. Default 3600. */
  expiresIn?: number
  /** `iss` claim, when set. */
  issuer?: string
  /** `aud` claim, when set. */
  audience?: string | string[]
  /** Extra claims. `sub`, `iat`, `exp`, `jti`, `iss` and `aud` are the plugin's and win over these. */
  claims?: (user: AppUser, identity: Identity) => Record<string, unknown> | Promise<Record<string, unknown>>
}

/** Turns the host's user into the `user` object of the response body. */
export type SerializeUser = (user: AppUser) => Record<string, unknown>

/** Default `serializeUser`: the `id`, `email` and `username` of the user, never the whole row. */
export function defaultSerializeUser (user: unknown): Record<string, unknown> {
  const source = (user !== null && typeof user === 'object' ? user : {}) as Record<string, unknown>
  const result: Record<string, unknown> = {}
  for (const field of ['id', 'email', 'username']) {
    if (source[field] !== undefined) result[field] = source[field]
  }
  return result
}

/** Builds the 201 body for a signed-in user. */
export type IssueToken = (user: AppUser, identity: Identity, request: FastifyRequest) => Record<string, unknown> | Promise<Record<string, unknown>>

/** Builds the default token strategy, whose body is `{ token, user }`. */
export function createJwtStrategy (options: JwtOptions | undefined, serializeUser: SerializeUser): IssueToken {
  if (options === undefined || options === null || typeof options !== 'object' || options.secret === undefined) {
    throw new SocialAuthOptionsError('jwt.secret is missing; set jwt.secret (at least 32 bytes) or give issueToken')
  }
  rejectUnknownOptions(options as unknown as Record<string, unknown>, ['secret', 'expiresIn', 'issuer', 'audience', 'claims'], 'jwt')
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
  if (!(key instanceof Uint8Array) || key.byteLength < 32) {
    throw new SocialAuthOptionsError('jwt.secret must be a string or Uint8Array of at least 32 bytes')
  }
  const expiresIn = options.expiresIn ?? 3600
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) {
    throw new SocialAuthOptionsError(`jwt.expiresIn must be a positive whole number of seconds, got ${String(options.expiresIn)}`)
  }
  if (options.claims !== undefined && typeof options.claims !== 'function') {
    throw new SocialAuthOptionsError('jwt.claims must be a function')
  }

  return async (user, identity) => {
    const id = (user as { id?: unknown } | null)?.id
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new TypeError('resolveUser must return a user with a string or number id for the default token strategy')
    }
    const extra = options.claims === undefined ? {} : await options.claims(user, identity)
    const jwt = new SignJWT({ ...extra })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(id))
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .setJti(randomUUID())
    if (options.issuer !== undefined) jwt.setIssuer(options.issuer)
    if (options.audience !== undefined) jwt.setAudience(options.audience)
    return { token: await jwt.sign(key), user: serializeUser(user) }
  }
}
