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
  /**
   * Signing key: a string or bytes of at least 32 bytes (RFC 7518 section 3.2 wants a key as long as
   * the hash). Required for `jwt` and `jwt-pair`. `fastify-jwt` uses @fastify/jwt's key instead.
   */
  secret?: string | Uint8Array
  /** Token lifetime in seconds. Default 3600, or 300 for the access token of `jwt-pair`. */
  expiresIn?: number
  /** Refresh token lifetime in seconds, for `jwt-pair`. Default 86,400. */
  refreshExpiresIn?: number
  /** `iss` claim, when set. */
  issuer?: string
  /** `aud` claim, when set. */
  audience?: string | string[]
  /** Add `created` (true when this sign-in created the user) to the body. Needs `accounts`. Default false. */
  reportCreated?: boolean
  /** Extra claims. `sub`, `exp`, `iat`, `nbf`, `jti`, `iss`, `aud`, `token_type` and `user_id` are the plugin's, and are dropped from these. */
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

/** Facts about the sign-in for the token strategy: `created` is true when it created the user, or null when unknown (a `resolveUser` host). */
export interface SignInDetails {
  created: boolean | null
}

/** Builds the 201 body for a signed-in user. */
export type IssueToken = (user: AppUser, identity: Identity, request: FastifyRequest, details: SignInDetails) => Record<string, unknown> | Promise<Record<string, unknown>>

/** Built-in token strategies: `jwt` returns `{ token, user }`, `jwt-pair` returns djoser's `{ access, refresh, user }`, and `fastify-jwt` signs `{ token, user }` with @fastify/jwt. */
export type TokenStrategy = 'jwt' | 'jwt-pair' | 'fastify-jwt'

const JWT_OPTIONS = ['secret', 'expiresIn', 'refreshExpiresIn', 'issuer', 'audience', 'claims', 'reportCreated']

interface CheckedJwtOptions {
  key: Uint8Array
  expiresIn: number
  refreshExpiresIn: number
  options: JwtOptions
}

function checkJwtOptions (options: JwtOptions | undefined, defaultExpiresIn: number): CheckedJwtOptions {
  if (options === undefined || options === null || typeof options !== 'object' || options.secret === undefined) {
    throw new SocialAuthOptionsError('jwt.secret is missing; set jwt.secret (at least 32 bytes) or give issueToken')
  }
  rejectUnknownOptions(options as unknown as Record<string, unknown>, JWT_OPTIONS, 'jwt')
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
  if (!(key instanceof Uint8Array) || key.byteLength < 32) {
    throw new SocialAuthOptionsError('jwt.secret must be a string or Uint8Array of at least 32 bytes')
  }
  if (options.claims !== undefined && typeof options.claims !== 'function') {
    throw new SocialAuthOptionsError('jwt.claims must be a function')
  }
  return {
    key,
    expiresIn: lifetime(options.expiresIn, defaultExpiresIn, 'jwt.expiresIn'),
    refreshExpiresIn: lifetime(options.refreshExpiresIn, 24 * 60 * 60, 'jwt.refreshExpiresIn'),
    options
  }
}

function lifetime (value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new SocialAuthOptionsError(`${name} must be a positive whole number of seconds, got ${String(value)}`)
  }
  return value
}

// Claims that the strategies set themselves. Taking them from `jwt.claims`, which hosts may fill
// from a provider's profile, would let a provider choose the token's lifetime or audience.
const RESERVED_CLAIMS = new Set(['sub', 'exp', 'iat', 'nbf', 'jti', 'iss', 'aud', 'token_type', 'user_id'])

async function extraClaims (claims: JwtOptions['claims'], user: AppUser, identity: Identity): Promise<Record<string, unknown>> {
  if (claims === undefined) return {}
  const extra = await claims(user, identity)
  const allowed: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (!RESERVED_CLAIMS.has(name)) allowed[name] = value
  }
  return allowed
}

function userId (user: AppUser): string {
  const id = (user as { id?: unknown } | null)?.id
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new TypeError('resolveUser must return a user with a string or number id for the built-in token strategies')
  }
  return String(id)
}

async function signJwt (checked: CheckedJwtOptions, claims: Record<string, unknown>, subject: string, expiresIn: number): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
    .setJti(randomUUID())
  if (checked.options.issuer !== undefined) jwt.setIssuer(checked.options.issuer)
  if (checked.options.audience !== undefined) jwt.setAudience(checked.options.audience)
  return await jwt.sign(checked.key)
}

/** Builds the default token strategy, whose body is `{ token, user }`. */
export function createJwtStrategy (options: JwtOptions | undefined, serializeUser: SerializeUser): IssueToken {
  const checked = checkJwtOptions(options, 3600)
  return async (user, identity, _request, details) => {
    const subject = userId(user)
    const extra = await extraClaims(checked.options.claims, user, identity)
    return withCreated({ token: await signJwt(checked, { ...extra }, subject, checked.expiresIn), user: serializeUser(user) }, checked.options, details)
  }
}

/**
 * Builds the djoser-compatible strategy: an access and a refresh JWT as djangorestframework-simplejwt
 * issues them, distinguished by their `token_type` claim and carrying `user_id`. Lifetimes default to
 * simplejwt's: 5 minutes and 1 day.
 */
export function createJwtPairStrategy (options: JwtOptions | undefined, serializeUser: SerializeUser): IssueToken {
  const checked = checkJwtOptions(options, 5 * 60)
  return async (user, identity, _request, details) => {
    const subject = userId(user)
    const extra = await extraClaims(checked.options.claims, user, identity)
    const [access, refresh] = await Promise.all([
      signJwt(checked, { ...extra, token_type: 'access', user_id: (user as { id: unknown }).id }, subject, checked.expiresIn),
      signJwt(checked, { token_type: 'refresh', user_id: (user as { id: unknown }).id }, subject, checked.refreshExpiresIn)
    ])
    return withCreated({ access, refresh, user: serializeUser(user) }, checked.options, details)
  }
}

interface FastifyJwtSigner {
  sign: (payload: Record<string, unknown>, options?: Record<string, unknown>) => string
}

/**
 * Builds the strategy that signs with @fastify/jwt, registered by the host before this plugin, with
 * its key and options. The body is `{ token, user }`.
 */
export function createFastifyJwtStrategy (options: Partial<JwtOptions> | undefined, serializeUser: SerializeUser): IssueToken {
  if (options !== undefined) rejectUnknownOptions(options as Record<string, unknown>, ['expiresIn', 'claims', 'reportCreated'], 'jwt')
  if (options?.claims !== undefined && typeof options.claims !== 'function') throw new SocialAuthOptionsError('jwt.claims must be a function')
  const expiresIn = options?.expiresIn === undefined ? undefined : lifetime(options.expiresIn, 3600, 'jwt.expiresIn')
  return async (user, identity, request, details) => {
    const signer = (request.server as unknown as { jwt?: FastifyJwtSigner }).jwt
    if (signer === undefined || typeof signer.sign !== 'function') {
      throw new TypeError('tokenStrategy fastify-jwt needs @fastify/jwt registered before fastify-social-auth')
    }
    const extra = await extraClaims(options?.claims, user, identity)
    const token = signer.sign({ ...extra, sub: userId(user) }, expiresIn === undefined ? undefined : { expiresIn })
    return withCreated({ token, user: serializeUser(user) }, options ?? {}, details)
  }
}

/** Adds `created` to a body when the options request it and the sign-in reports it. */
function withCreated (body: Record<string, unknown>, options: Partial<JwtOptions>, details: SignInDetails): Record<string, unknown> {
  return options.reportCreated === true && details.created !== null ? { ...body, created: details.created } : body
}
