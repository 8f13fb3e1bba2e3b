import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export interface TokenRequest {
  code: string
  redirectUri: string
  codeVerifier: string
  authorization: string | undefined
}

/** Decides the token endpoint's response. Returning a status other than 200 sends that status. */
export type TokenHandler = (request: TokenRequest, reply: FastifyReply) => unknown

/**
 * A loopback OpenID provider stand-in whose token, userinfo and JWKS responses each test sets, for
 * cases a real provider never produces: wrong nonces and audiences, foreign keys, broken bodies.
 */
export class StubProvider {
  readonly clientId = 'stub-client'
  readonly clientSecret = 'stub-client-secret-0123456789abcdef'
  issuer = ''
  readonly server: FastifyInstance = Fastify()
  readonly publishedKeys: JWK[] = []
  signingKey!: CryptoKey
  /** A key of the right type that the JWKS does not publish. */
  foreignKey!: CryptoKey
  tokenHandler: TokenHandler = () => ({ error: 'invalid_grant' })
  userinfoHandler: (authorization: string | undefined, reply: FastifyReply) => unknown = () => ({})
  tokenRequests: TokenRequest[] = []
  discoveryOverrides: Record<string, unknown> = {}
  /** Number of requests the JWKS endpoint has served. */
  jwksFetches = 0

  async start (): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    this.signingKey = privateKey
    this.foreignKey = (await generateKeyPair('RS256')).privateKey
    this.publishedKeys.push({ ...(await exportJWK(publicKey)), kid: 'stub-key-1', alg: 'RS256', use: 'sig' })

    this.server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    this.server.get('/.well-known/openid-configuration', async () => ({
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      userinfo_endpoint: `${this.issuer}/userinfo`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      ...this.discoveryOverrides
    }))
    this.server.get('/jwks', async () => {
      this.jwksFetches++
      return { keys: this.publishedKeys }
    })
    this.server.post('/token', async (request, reply) => {
      const body = request.body as Record<string, string>
      const tokenRequest = {
        code: body.code ?? '',
        redirectUri: body.redirect_uri ?? '',
        codeVerifier: body.code_verifier ?? '',
        authorization: request.headers.authorization
      }
      this.tokenRequests.push(tokenRequest)
      return await this.tokenHandler(tokenRequest, reply)
    })
    this.server.get('/userinfo', async (request, reply) => await this.userinfoHandler(request.headers.authorization, reply))
    const address = await this.server.listen({ port: 0, host: '127.0.0.1' })
    this.issuer = address
  }

  /**
   * Signs an id_token with the published key unless the options name another. Claims given as
   * undefined are left out, and so is the header's `kid` when the options give it as null.
   */
  async idToken (claims: JWTPayload, options: { key?: CryptoKey | Uint8Array, alg?: string, kid?: string | null, typ?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const payload: JWTPayload = { iss: this.issuer, aud: this.clientId, sub: 'stub-user-1', iat: now, exp: now + 300, ...claims }
    for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key]
    return await new SignJWT(payload)
      .setProtectedHeader({
        alg: options.alg ?? 'RS256',
        ...(options.kid === null ? {} : { kid: options.kid ?? 'stub-key-1' }),
        ...(options.typ === undefined ? {} : { typ: options.typ })
      })
      .sign(options.key ?? this.signingKey)
  }

  async close (): Promise<void> {
    await this.server.close()
  }
}
