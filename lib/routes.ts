import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import {
  AuthorizationQuery, AuthorizationResponse, CompleteBody, CustomTokenResponse, DetailErrorResponse, describedResponse, providerParamsFor,
  TokenPairResponse, TokenResponse, ValidationErrorResponse, type AuthorizationQueryType, type CompleteBodyType, type ProviderParamsType
} from '../schemas/index.js'
import { handleError } from './error-handler.js'
import { SignInError, ValidationError } from './errors.js'
import type { SignInFlow } from './flow.js'
import type { Identity } from './identity.js'
import { isNativeInput, NATIVE_FIELDS } from './native-sign-in.js'
import type { AppUser, IssueToken, TokenStrategy } from './tokens.js'
import { createValidator } from './validation.js'

// Whether the accounts pipeline created the user of a request, for the token strategy to report.
const createdUsers = new WeakMap<FastifyRequest, boolean>()

/** Records whether the sign-in of this request created its user. */
export function markCreated (request: FastifyRequest, created: boolean): void {
  createdUsers.set(request, created)
}

/** Resolves the app's user for a verified identity. Return null, or throw `SignInError`, to refuse the sign-in. */
export type ResolveUser = (identity: Identity, request: FastifyRequest) => AppUser

export interface RouteOptions {
  flow: SignInFlow
  resolveUser: ResolveUser
  issueToken: IssueToken
  /** Built-in token strategy, whose body shape is known, or null for the host's `issueToken`. */
  tokenStrategy: TokenStrategy | null
  /** Attributes of the binding cookie, or null when the cookie binding is off. */
  bindingCookie: { secure: boolean, maxAgeSeconds: number } | null
  /** Route `config` of GET and POST, for other plugins such as @fastify/rate-limit. */
  routeConfig: { get?: Record<string, unknown>, post?: Record<string, unknown> }
  /** True when the plugin has a route prefix of its own, under which it may handle unknown URLs. */
  hasPrefix: boolean
  /** Appended to the OpenAPI operation ids, so that two registrations under other prefixes differ. */
  operationIdSuffix: string
}

/** Largest POST body accepted. A code and a state fit many times over. */
export const BODY_LIMIT_BYTES = 16 * 1024

const ERROR_RESPONSES = {
  400: describedResponse(ValidationErrorResponse, 'Invalid input, or a rejected sign-in: errors per field, or under `non_field_errors`.'),
  404: describedResponse(DetailErrorResponse, 'Provider not configured.'),
  413: describedResponse(DetailErrorResponse, 'Body over 16 KiB.'),
  415: describedResponse(DetailErrorResponse, 'Content type other than JSON or form.'),
  429: describedResponse(DetailErrorResponse, 'Rate limit of `routeConfig` reached.'),
  500: describedResponse(DetailErrorResponse, 'Error in the host\'s own code.'),
  502: describedResponse(DetailErrorResponse, 'Provider unreachable, too slow, or returning something unusable.'),
  503: describedResponse(DetailErrorResponse, 'State store unavailable; see `Retry-After`.')
}

/**
 * Registers GET and POST `/o/:provider/`, with and without the trailing slash, in an encapsulated
 * context whose validator, body parsers and error handler affect these routes only.
 */
export async function registerRoutes (instance: FastifyInstance, options: RouteOptions): Promise<void> {
  const { flow, resolveUser, issueToken } = options
  const ajv = createValidator()
  instance.setValidatorCompiler(({ schema }) => ajv.compile(schema))
  instance.setErrorHandler(handleError)
  // Under its own prefix the plugin handles unknown URLs and methods too, in the DRF shape and
  // without echoing the URL, whose query string may carry a code and a state.
  if (options.hasPrefix) {
    instance.setNotFoundHandler(async (_request, reply) => await reply.code(404).send({ detail: 'Not found.' }))
  }

  // A POST without a body carries its fields in the query string, as djoser front ends send them.
  const jsonParser = instance.getDefaultJsonParser('error', 'error')
  instance.removeAllContentTypeParsers()
  instance.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined)
      return
    }
    jsonParser(request, body as string, done)
  })
  instance.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string))
  })

  instance.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  const params = providerParamsFor(flow.providerNames())
  const getSchema = {
    tags: ['social-auth'],
    operationId: `socialAuthBegin${options.operationIdSuffix}`,
    summary: 'Start a social sign-in',
    description: 'Stores a single-use state for the provider and returns the URL to send the browser to.',
    params,
    querystring: AuthorizationQuery,
    response: { 200: AuthorizationResponse, ...ERROR_RESPONSES }
  }
  const postSchema = {
    tags: ['social-auth'],
    operationId: `socialAuthComplete${options.operationIdSuffix}`,
    summary: 'Complete a social sign-in',
    description: 'Uses up the state, exchanges the code with the provider, verifies the identity and returns a token for the app\'s user. ' +
      'A native app sends the id_token or access token from the provider\'s SDK instead of code and state. ' +
      'A redirect\'s fields may also come as a form or in the query string; a native app\'s tokens only in a JSON body.',
    params,
    body: CompleteBody,
    response: { 201: describedResponse(tokenResponseSchema(options.tokenStrategy), 'Signed in.'), ...ERROR_RESPONSES }
  }

  // An unknown provider is a 404 before any field is validated.
  const requireProvider = async (request: FastifyRequest): Promise<void> => {
    flow.provider((request.params as ProviderParamsType).provider)
  }

  // With ignoreTrailingSlash, Fastify already serves both forms from one route.
  const config = instance.initialConfig as { ignoreTrailingSlash?: boolean, routerOptions?: { ignoreTrailingSlash?: boolean } }
  const ignoresTrailingSlash = config.routerOptions?.ignoreTrailingSlash ?? config.ignoreTrailingSlash ?? false
  const urls = ignoresTrailingSlash ? ['/o/:provider/'] : ['/o/:provider/', '/o/:provider']

  for (const url of urls) {
    // The form without the trailing slash is the same operation, so the OpenAPI document shows it once.
    const hide = url !== '/o/:provider/'
    instance.get<{ Params: ProviderParamsType, Querystring: AuthorizationQueryType }>(url, {
      schema: (hide ? { ...getSchema, hide, operationId: undefined } : getSchema) as FastifySchema,
      // A HEAD request would store a state like a GET, for a link checker or a prefetcher.
      exposeHeadRoute: false,
      // A client may put a token in the wrong request's query string, so no query string is logged.
      logSerializers: { req: serializeRequestWithoutQuery },
      // NOTE: @fastify/rate-limit keeps one counter per route URL, so without ignoreTrailingSlash the
      // forms with and without the trailing slash are limited separately: a client gets twice `max`.
      config: options.routeConfig.get ?? {},
      preValidation: requireProvider
    }, async (request, reply) => {
      const query = request.query
      const result = await flow.begin(request.params.provider, query.redirect_uri, query.scope, query.binding_challenge, {
        prompt: query.prompt,
        loginHint: query.login_hint
      })
      if (result.bindingCookie !== null && options.bindingCookie !== null) {
        reply.header('set-cookie', serializeCookie(result.bindingCookie.name, result.bindingCookie.value, options.bindingCookie.maxAgeSeconds, options.bindingCookie.secure))
      }
      return { authorization_url: result.authorizationUrl }
    })

    instance.post<{ Params: ProviderParamsType, Body: CompleteBodyType }>(url, {
      schema: (hide ? { ...postSchema, hide, operationId: undefined } : postSchema) as FastifySchema,
      bodyLimit: BODY_LIMIT_BYTES,
      logSerializers: { req: serializeRequestWithoutQuery },
      config: options.routeConfig.post ?? {},
      preValidation: [requireProvider, mergeQueryIntoBody]
    }, async (request, reply) => {
      if (isNativeInput(request.body)) requireJsonBody(request)
      const cookies = parseCookies(request.headers.cookie)
      // The binding cookie serves one sign-in, so the response expires it whatever the outcome.
      const usedCookie = request.body.state === undefined ? null : flow.bindingCookieFor(request.body.state)
      if (usedCookie !== null && options.bindingCookie !== null && cookies[usedCookie] !== undefined) {
        reply.header('set-cookie', serializeCookie(usedCookie, '', 0, options.bindingCookie.secure))
      }
      const { identity } = await flow.complete(request.params.provider, request.body, cookies, request.log)
      const user = await resolveUser(identity, request)
      if (user === null || user === undefined || user === false) {
        throw new SignInError('USER_REJECTED', 'This account is not allowed to sign in.')
      }
      const created = createdUsers.get(request) ?? null
      const body = await issueToken(user, identity, request, { created })
      if (body === null || typeof body !== 'object') throw new TypeError('issueToken must return an object')
      request.log.info({ provider: identity.provider }, 'social sign-in completed')
      return await reply.code(201).send(body)
    })
  }
}

/**
 * Serializes the request for Fastify's "incoming request" log line without its query string,
 * which may carry the authorization code and the state.
 */
export function serializeRequestWithoutQuery (request: FastifyRequest): Record<string, unknown> {
  const queryStart = request.url.indexOf('?')
  return {
    method: request.method,
    url: queryStart === -1 ? request.url : `${request.url.slice(0, queryStart)}?[redacted]`,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/**
 * Rejects a native app's token, nonce or user field outside a JSON body. A cross-site form cannot send JSON without a
 * CORS preflight, so another site cannot sign a visitor in with the attacker's token, and tokens
 * stay out of the URLs that proxies log.
 */
function requireJsonBody (request: FastifyRequest): void {
  const query = request.query as Record<string, unknown>
  const isJson = /^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')
  for (const field of NATIVE_FIELDS) {
    if ((request.body as Record<string, unknown>)[field] === undefined) continue
    if (!isJson || query[field] !== undefined) {
      throw ValidationError.field(field, 'Send this field in a JSON body, with Content-Type: application/json.', 'NATIVE_TOKEN_NOT_IN_JSON')
    }
  }
}

/** Merges the query string under the body, so a body value wins, and leaves a non-object body for the schema to reject. */
async function mergeQueryIntoBody (request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>
  const body = request.body
  if (body === undefined || body === null) {
    request.body = { ...query }
  } else if (typeof body === 'object' && !Array.isArray(body)) {
    request.body = { ...query, ...body }
  }
}

/** Parses a form body. A repeated key becomes an array, which the schema then rejects. */
function parseForm (body: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null)
  for (const [key, value] of new URLSearchParams(body)) {
    const previous = result[key]
    if (previous === undefined) result[key] = value
    else result[key] = Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return result
}

/** Picks the 201 schema of the token strategy, so the OpenAPI document shows the real body. */
function tokenResponseSchema (strategy: TokenStrategy | null): typeof TokenResponse | typeof TokenPairResponse | typeof CustomTokenResponse {
  if (strategy === null) return CustomTokenResponse
  return strategy === 'jwt-pair' ? TokenPairResponse : TokenResponse
}

/** Parses a Cookie header into name and value pairs. Values of the plugin's own cookies are base64url. */
function parseCookies (header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null)
  if (header === undefined) return cookies
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator > 0) cookies[part.slice(0, separator).trim()] = part.slice(separator + 1).trim()
  }
  return cookies
}

/** Serializes the binding cookie: HttpOnly and SameSite=Lax, so other sites' pages can neither read nor send it on a POST. */
function serializeCookie (name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}
