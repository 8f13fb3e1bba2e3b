import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

export interface OidcServerOptions {
  /** Loopback port to listen on. Default: any free port. */
  port?: number
  clientId?: string
  clientSecret?: string
  redirectUris: string[]
  /**
   * Client ids of native apps to register as public clients (PKCE, no secret) with the redirect URI
   * `NATIVE_REDIRECT_URI`, as a mobile app's sign-in SDK uses them.
   */
  nativeClientIds?: string[]
  /**
   * Put the scopes' claims (email, profile) in the id_token, as Google and Apple do, so that a
   * native app's id_token carries the email without a userinfo call. Default false: oidc-provider
   * then serves them from userinfo only.
   */
  claimsInIdToken?: boolean
}

/** Redirect URI of the native clients: a private-use URI scheme, as mobile apps register (RFC 8252 section 7.1). */
export const NATIVE_REDIRECT_URI = 'test.example.native:/callback'

export interface OidcServer {
  issuer: string
  clientId: string
  clientSecret: string
  provider: Provider
  close: () => Promise<void>
}

/**
 * Starts a real OpenID provider (oidc-provider, development sign-in pages) on a loopback port.
 * Any login name signs in, and the account's claims derive from it: `alice` gets
 * `alice@example.test`, verified.
 */
export async function startOidcServer (options: OidcServerOptions): Promise<OidcServer> {
  const clientId = options.clientId ?? 'social-auth-demo'
  const clientSecret = options.clientSecret ?? 'social-auth-demo-secret-0123456789abcdef'
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' }

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: options.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic'
    }, ...(options.nativeClientIds ?? []).map((nativeClientId) => ({
      client_id: nativeClientId,
      application_type: 'native' as const,
      redirect_uris: [NATIVE_REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code' as const],
      token_endpoint_auth_method: 'none' as const
    }))],
    conformIdTokenClaims: options.claimsInIdToken !== true,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['social-auth-demo-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture']
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    features: { devInteractions: { enabled: true } },
    async findAccount (_ctx, id) {
      return {
        accountId: id,
        async claims () {
          return {
            sub: id,
            email: `${id}@example.test`,
            email_verified: !id.startsWith('unverified'),
            name: `${id[0]?.toUpperCase() ?? ''}${id.slice(1)} Example`,
            given_name: `${id[0]?.toUpperCase() ?? ''}${id.slice(1)}`,
            family_name: 'Example',
            preferred_username: id,
            picture: `https://pictures.example.test/${id}.png`
          }
        }
      }
    }
  })
  server.on('request', provider.callback())

  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
