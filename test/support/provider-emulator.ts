import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

/** One request the emulator received. */
export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  /** Form or JSON body as an object, or the raw string. */
  body: unknown
}

export type RouteHandler = (request: RecordedRequest, reply: FastifyReply) => unknown

/**
 * A loopback stand-in for a provider's token, profile and JWKS endpoints. Each test sets the
 * responses per `METHOD /path`, in the shapes the provider documents, and reads back every request.
 */
export class ProviderEmulator {
  url = ''
  readonly requests: RecordedRequest[] = []
  readonly #routes = new Map<string, RouteHandler>()
  readonly #server: FastifyInstance = Fastify()
  #signingKey!: CryptoKey
  #publicJwk!: JWK

  async start (): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    this.#signingKey = privateKey
    this.#publicJwk = { ...(await exportJWK(publicKey)), kid: 'emulator-key', alg: 'RS256', use: 'sig' }

    this.#server.removeAllContentTypeParsers()
    this.#server.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string
      const type = request.headers['content-type'] ?? ''
      if (type.startsWith('application/x-www-form-urlencoded')) done(null, Object.fromEntries(new URLSearchParams(text)))
      else if (type.startsWith('application/json') && text !== '') done(null, JSON.parse(text))
      else done(null, text)
    })
    this.#server.all('/*', async (request: FastifyRequest, reply) => {
      const url = new URL(request.url, 'http://emulator.invalid')
      const recorded: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: request.body
      }
      this.requests.push(recorded)
      if (recorded.method === 'GET' && recorded.path === '/jwks') return this.jwks()
      const handler = this.#routes.get(`${recorded.method} ${recorded.path}`)
      if (handler === undefined) return await reply.code(404).send({ error: 'not_found', path: recorded.path })
      return await handler(recorded, reply)
    })
    this.url = await this.#server.listen({ port: 0, host: '127.0.0.1' })
  }

  /** The key set that verifies `idToken`'s tokens, also served at `/jwks`. */
  jwks (): { keys: JWK[] } {
    return { keys: [this.#publicJwk] }
  }

  /** Sets the response of `METHOD /path`, replacing any earlier one. */
  route (key: string, handler: RouteHandler): void {
    this.#routes.set(key, handler)
  }

  reset (): void {
    this.#routes.clear()
    this.requests.length = 0
  }

  /** Finds the last request to `METHOD /path`. */
  last (key: string): RecordedRequest | undefined {
    return this.requests.findLast((request) => `${request.method} ${request.path}` === key)
  }

  async idToken (claims: JWTPayload): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return await new SignJWT({ iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'emulator-key' })
      .sign(this.#signingKey)
  }

  async close (): Promise<void> {
    await this.#server.close()
  }
}

/** Endpoint overrides that point every endpoint of a preset at the emulator, JWKS at `jwksPath`. */
export function emulatedEndpoints (emulator: ProviderEmulator, jwksPath = '/jwks'): Record<string, string> {
  return {
    authorizationEndpoint: `${emulator.url}/authorize`,
    tokenEndpoint: `${emulator.url}/token`,
    userinfoEndpoint: `${emulator.url}/userinfo`,
    apiBaseUrl: emulator.url,
    jwksUri: `${emulator.url}${jwksPath}`,
    issuer: emulator.url
  }
}
