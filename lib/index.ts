import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { ProviderNotFoundError, SocialAuthOptionsError } from './errors.js'
import type { IssuedProviderTokens } from './identity.js'
import type { Provider } from './providers/types.js'
import { SignInFlow } from './flow.js'
import { checkRedirectUriList } from './redirect-uri.js'
import { buildProviders, type ProviderOptions } from './providers/registry.js'
import { markCreated, registerRoutes, type ResolveUser } from './routes.js'
import { nonNegativeNumber, positiveNumber, rejectUnknownPluginOptions } from './plugin-options.js'
import { MemoryStateStore } from './state/memory.js'
import { RedisStateStore } from './state/redis.js'
import { logRedisErrors } from './state/redis-errors.js'
import type { StateStore } from './state/store.js'
import { createAccountsPipeline, type AccountsOptions } from './accounts/pipeline.js'
import {
  createFastifyJwtStrategy, createJwtPairStrategy, createJwtStrategy, defaultSerializeUser, type IssueToken, type JwtOptions, type SerializeUser, type TokenStrategy
} from './tokens.js'

export interface SocialAuthOptions {
  /** Route prefix: with `/auth` the routes are `/auth/o/:provider/`. */
  prefix?: string
  /** Provider name (the `:provider` URL segment) to its options. */
  providers: Record<string, ProviderOptions>
  /** Redirect URIs a front end may ask for, matched character for character. A provider's own list replaces it. */
  redirectUris?: string[]
  /** Store of pending sign-ins. Default: a `MemoryStateStore`, for a single process. */
  stateStore?: StateStore
  /** Seconds a sign-in may take between GET and POST. Default 600. */
  stateTtlSeconds?: number
  /** Finds or creates the app's user for a verified identity. Give this or `accounts`. */
  resolveUser?: ResolveUser
  /** The accounts pipeline with its adapter, in place of `resolveUser`. */
  accounts?: AccountsOptions
  /** Builds the 201 body, in place of a built-in `tokenStrategy`. */
  issueToken?: IssueToken
  /** Built-in token strategy when no `issueToken` is given. Default `jwt`. */
  tokenStrategy?: TokenStrategy
  /** Options of the built-in token strategies. `jwt.secret` is required for `jwt` and `jwt-pair`. */
  jwt?: JwtOptions
  /** Turns the user into the `user` of the default token body. Default: its `id`, `email` and `username`. */
  serializeUser?: SerializeUser
  /** Milliseconds before a request to a provider (discovery, token, JWKS, userinfo) is abandoned. Default 10,000. */
  providerTimeoutMs?: number
  /** Seconds of clock difference tolerated on id_token `iat`, `nbf` and `exp`. Default 60. */
  clockToleranceSeconds?: number
  /** Seconds to wait before retrying a provider's failed discovery. Default 10. */
  discoveryRetrySeconds?: number
  /** Seconds after a JWKS fetch during which a token with an unknown `kid` causes no new fetch. Default 30. */
  jwksCooldownSeconds?: number
  /** Ties each sign-in to the browser that started it, against login CSRF. */
  binding?: BindingConfig
  /** Reject a POST without `iss` when the provider's metadata states that it sends one (RFC 9207). Default false. */
  requireIssuerParameter?: boolean
  /** Route `config` of the GET and POST routes, such as `{ get: { rateLimit: { max: 10, timeWindow: '1 minute' } } }`. */
  routeConfig?: { get?: Record<string, unknown>, post?: Record<string, unknown> }
}

/** Browser binding options. */
export interface BindingConfig {
  /** Every GET must carry `binding_challenge` (unless `cookie` is on), and POST its `binding_verifier`. Default false. */
  required?: boolean
  /** Set an HttpOnly, SameSite=Lax cookie on GET and require it on POST, for front ends on the API's site. Default false. */
  cookie?: boolean | {
    /** Cookie name. Default `__Host-social_auth_binding`, or `social_auth_binding` when `secure` is false. */
    name?: string
    /** Send the Secure attribute. Default true; false only for plain http in local development. */
    secure?: boolean
  }
}

/** Decoration that the plugin adds to the Fastify instance as `socialAuth`. */
export interface SocialAuthDecoration {
  /** Names of the configured providers. */
  readonly providers: readonly string[]
  readonly stateStore: StateStore
  /**
   * Gets new provider tokens with a stored refresh token. A response without a new refresh token
   * keeps the given one. Rejects with `SignInError` (`REFRESH_REJECTED`) or `ProviderError`.
   */
  readonly refreshProviderToken: (provider: string, refreshToken: string) => Promise<IssuedProviderTokens>
  /** Revokes a provider token (RFC 7009). Rejects with `ProviderError`, `REVOCATION_UNSUPPORTED` when the provider has no endpoint. */
  readonly revokeProviderToken: (provider: string, token: string, tokenTypeHint?: 'access_token' | 'refresh_token') => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    socialAuth: SocialAuthDecoration
  }
}

const socialAuth: FastifyPluginAsync<SocialAuthOptions> = async (fastify: FastifyInstance, options: SocialAuthOptions) => {
  if (options === null || typeof options !== 'object') throw new SocialAuthOptionsError('options must be an object')
  rejectUnknownPluginOptions(options as unknown as Record<string, unknown>)
  const resolveUser = buildResolveUser(options)
  if (options.accounts !== undefined && options.accounts.storeTokens !== false && options.accounts.encryptionKey === undefined) {
    fastify.log.warn('fastify-social-auth: accounts stores provider tokens in clear; set accounts.encryptionKey, or storeTokens: false')
  }
  if (options.issueToken !== undefined && typeof options.issueToken !== 'function') {
    throw new SocialAuthOptionsError('issueToken must be a function')
  }
  if (options.issueToken !== undefined && options.tokenStrategy !== undefined) {
    throw new SocialAuthOptionsError('give issueToken or tokenStrategy, not both')
  }
  if (options.serializeUser !== undefined && typeof options.serializeUser !== 'function') {
    throw new SocialAuthOptionsError('serializeUser must be a function')
  }
  const stateTtlSeconds = positiveNumber(options.stateTtlSeconds, 600, 'stateTtlSeconds')
  // A sign-in takes minutes. A day bounds how long a flood's states hold memory, and keeps Redis's PX an integer.
  if (stateTtlSeconds > 86_400) throw new SocialAuthOptionsError(`stateTtlSeconds must be at most 86400 (a day), got ${stateTtlSeconds}`)
  const providerTimeoutMs = positiveNumber(options.providerTimeoutMs, 10_000, 'providerTimeoutMs')
  const clockToleranceSeconds = nonNegativeNumber(options.clockToleranceSeconds, 60, 'clockToleranceSeconds')
  const discoveryRetrySeconds = nonNegativeNumber(options.discoveryRetrySeconds, 10, 'discoveryRetrySeconds')
  const jwksCooldownSeconds = nonNegativeNumber(options.jwksCooldownSeconds, 30, 'jwksCooldownSeconds')

  const redirectUris = options.redirectUris === undefined ? null : checkRedirectUriList(options.redirectUris, 'redirectUris')
  const providers = buildProviders(options.providers, redirectUris, { timeoutMs: providerTimeoutMs, clockToleranceSeconds, discoveryRetrySeconds, jwksCooldownSeconds })

  let store = options.stateStore
  if (store === undefined) {
    store = new MemoryStateStore()
    fastify.log.warn('fastify-social-auth: no stateStore given, so sign-in states live in this process only; use RedisStateStore when more than one instance serves these routes')
  } else if (typeof store?.save !== 'function' || typeof store?.take !== 'function') {
    throw new SocialAuthOptionsError('stateStore must implement save(key, record, ttlMs) and take(key)')
  } else if (store instanceof MemoryStateStore) {
    fastify.log.info('fastify-social-auth: MemoryStateStore keeps sign-in states in this process only')
  } else if (store instanceof RedisStateStore) {
    logRedisErrors(fastify, store)
  }

  const serializeUser = options.serializeUser ?? defaultSerializeUser
  const tokenStrategy = options.issueToken === undefined ? options.tokenStrategy ?? 'jwt' : null
  const issueToken = options.issueToken ?? createTokenStrategy(fastify, tokenStrategy ?? 'jwt', options.jwt, serializeUser)
  const binding = checkBinding(options.binding)
  const requireIssuerParameter = options.requireIssuerParameter ?? false
  if (typeof requireIssuerParameter !== 'boolean') throw new SocialAuthOptionsError('requireIssuerParameter must be a boolean')
  // Redis takes whole milliseconds in PX.
  const stateTtlMs = Math.ceil(stateTtlSeconds * 1000)
  const flow = new SignInFlow({
    providers,
    redirectUris,
    store,
    stateTtlMs,
    binding: { required: binding.required, cookieName: binding.cookie?.name ?? null },
    requireIssuerParameter,
    clockToleranceSeconds
  })

  // A second registration, under another prefix, keeps the first one's decoration.
  if (!fastify.hasDecorator('socialAuth')) {
    const providerNamed = (name: string): Provider => {
      const provider = providers.get(name)
      if (provider === undefined) throw new ProviderNotFoundError()
      return provider
    }
    const decoration: SocialAuthDecoration = {
      providers: [...providers.keys()],
      stateStore: store,
      refreshProviderToken: async (name, refreshToken) => await providerNamed(name).refreshTokens(refreshToken),
      revokeProviderToken: async (name, token, tokenTypeHint) => { await providerNamed(name).revokeToken(token, tokenTypeHint) }
    }
    fastify.decorate('socialAuth', decoration)
  }

  // Discovery starts once the app is ready, without holding it up: a provider that is down
  // gets 502 until it comes back, and the others keep working.
  fastify.addHook('onReady', function (done) {
    for (const provider of providers.values()) {
      provider.prepare().catch((error: { reason?: string, message: string }) => {
        fastify.log.warn({ provider: provider.name, reason: error.reason ?? error.message }, 'fastify-social-auth: provider set-up failed; retrying on first use')
      })
    }
    done()
  })

  await fastify.register(async (instance) => {
    await registerRoutes(instance, {
      flow,
      resolveUser,
      issueToken,
      tokenStrategy,
      bindingCookie: binding.cookie === null ? null : { secure: binding.cookie.secure, maxAgeSeconds: Math.ceil(stateTtlMs / 1000) },
      routeConfig: checkRouteConfig(options.routeConfig),
      hasPrefix: typeof options.prefix === 'string' && options.prefix !== '' && options.prefix !== '/',
      // /auth/web gives socialAuthBeginAuthWeb: letters and digits of the prefix, each part capitalized.
      operationIdSuffix: (options.prefix ?? '').split(/[^A-Za-z0-9]+/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('')
    })
  }, { prefix: options.prefix })
}

function checkRouteConfig (value: SocialAuthOptions['routeConfig']): { get?: Record<string, unknown>, post?: Record<string, unknown> } {
  if (value === undefined) return {}
  const isObject = (item: unknown): boolean => item !== null && typeof item === 'object' && !Array.isArray(item)
  if (!isObject(value) || (value.get !== undefined && !isObject(value.get)) || (value.post !== undefined && !isObject(value.post))) {
    throw new SocialAuthOptionsError('routeConfig must be an object with optional get and post objects')
  }
  return value
}

interface CheckedBinding {
  required: boolean
  cookie: { name: string, secure: boolean } | null
}

function checkBinding (binding: BindingConfig | undefined): CheckedBinding {
  if (binding === undefined) return { required: false, cookie: null }
  if (binding === null || typeof binding !== 'object') throw new SocialAuthOptionsError('binding must be an object')
  const required = binding.required ?? false
  if (typeof required !== 'boolean') throw new SocialAuthOptionsError('binding.required must be a boolean')
  const cookie = binding.cookie ?? false
  if (cookie === false) return { required, cookie: null }
  const settings = cookie === true ? {} : cookie
  const secure = settings.secure ?? true
  if (typeof secure !== 'boolean') throw new SocialAuthOptionsError('binding.cookie.secure must be a boolean')
  // The __Host- prefix makes browsers refuse the cookie from a sibling subdomain or a plain http page,
  // which could otherwise plant their own binding cookie.
  const name = settings.name ?? (secure ? '__Host-social_auth_binding' : 'social_auth_binding')
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new SocialAuthOptionsError('binding.cookie.name must be 1 to 64 letters, digits, "_" or "-"')
  }
  if (name.startsWith('__Host-') && !secure) throw new SocialAuthOptionsError('binding.cookie.name with the __Host- prefix needs secure: true')
  return { required, cookie: { name, secure } }
}

function buildResolveUser (options: SocialAuthOptions): ResolveUser {
  if (options.accounts !== undefined) {
    if (options.resolveUser !== undefined) throw new SocialAuthOptionsError('give resolveUser or accounts, not both')
    const pipeline = createAccountsPipeline(options.accounts)
    return async (identity, request) => {
      const result = await pipeline(identity, request)
      markCreated(request, result.created)
      return result.user
    }
  }
  if (typeof options.resolveUser !== 'function') {
    throw new SocialAuthOptionsError('resolveUser is missing; give a function that finds or creates the user for an identity, or accounts with an adapter')
  }
  return options.resolveUser
}

function createTokenStrategy (fastify: FastifyInstance, strategy: TokenStrategy, jwt: JwtOptions | undefined, serializeUser: SerializeUser): IssueToken {
  switch (strategy) {
    case 'jwt':
      return createJwtStrategy(jwt, serializeUser)
    case 'jwt-pair':
      return createJwtPairStrategy(jwt, serializeUser)
    case 'fastify-jwt':
      if (!fastify.hasDecorator('jwt')) {
        throw new SocialAuthOptionsError('tokenStrategy fastify-jwt needs @fastify/jwt; register it before fastify-social-auth')
      }
      return createFastifyJwtStrategy(jwt, serializeUser)
    default:
      throw new SocialAuthOptionsError(`tokenStrategy must be jwt, jwt-pair or fastify-jwt, got ${JSON.stringify(strategy)}`)
  }
}

const plugin = fp(socialAuth, { fastify: '5.x', name: 'fastify-social-auth' })

export default plugin
export { plugin as socialAuth }
export { MemoryStateStore, type MemoryStateStoreOptions } from './state/memory.js'
export { RedisStateStore, type RedisStateStoreOptions } from './state/redis.js'
export type { StateRecord, StateStore } from './state/store.js'
export type { Identity, IssuedProviderTokens, ProviderTokens } from './identity.js'
export type { PresetId, PresetProviderOptions, ProviderOptions } from './providers/registry.js'
export type { OidcProviderOptions } from './providers/oidc.js'
export type { OAuth2ProviderOptions } from './providers/generic-oauth2.js'
export type { CommonProviderOptions } from './providers/preset.js'
export type { EndpointOverrides, ProfileContext, ProfileFields } from './providers/types.js'
export { serializeRequestWithoutQuery, type ResolveUser } from './routes.js'
export type { AppUser, IssueToken, JwtOptions, SerializeUser, SignInDetails, TokenStrategy } from './tokens.js'
export type { AccountsOptions, AccountsResult } from './accounts/pipeline.js'
export { AccountConflictError, type AccountData, type AccountsAdapter, type NewUser, type StoredAccount, type StoredUser } from './accounts/types.js'
export { SqliteAccountsAdapter } from './accounts/sqlite.js'
export { PostgresAccountsAdapter } from './accounts/postgres.js'
export { TokenCipher } from './accounts/token-cipher.js'
export {
  ProviderError, ProviderNotFoundError, SignInError, SocialAuthError, SocialAuthOptionsError, StoreKeyExistsError, StoreUnavailableError, ValidationError
} from './errors.js'
export type { ErrorBody, FieldErrors, SocialAuthErrorOptions } from './errors.js'
