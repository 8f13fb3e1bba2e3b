import { createHash, randomBytes } from 'node:crypto'
import { signInAtProvider } from '../demo/browser.js'
import { NATIVE_REDIRECT_URI } from '../demo/local-provider.js'

/** Form of the nonce in the authorization request, as the provider SDKs take it. */
export type NonceForm = 'raw' | 'sha256-hex' | 'sha256-base64url'

export interface NativeSignInOptions {
  issuer: string
  /** The app's own client id at the provider, such as the iOS one. */
  clientId: string
  /** Account to sign in as at the local provider's development pages. */
  login?: string
  /**
   * Default `sha256-hex`, as Sign in with Apple's guide does and the plugin expects by default:
   * only the app then has the raw nonce that it POSTs.
   */
  nonceForm?: NonceForm
  /**
   * For a confidential web client instead of an app (a web page with a one-tap button, say): its
   * secret and registered redirect URI. Default: a public client at `NATIVE_REDIRECT_URI`.
   */
  webClient?: { clientSecret: string, redirectUri: string }
}

/** Credential that the app gets from the SDK and POSTs to the API. */
export interface NativeCredential {
  idToken: string
  /** The raw nonce, which the API needs when the token carries its hash. */
  nonce: string
}

/**
 * Plays a mobile app's sign-in SDK against an OpenID provider: an authorization code request with
 * PKCE and a nonce as a public client, the sign-in pages, and the code exchange without a client
 * secret. Returns the id_token with the raw nonce, which the app then POSTs to `/o/:provider/`.
 */
export async function signInAsNativeApp (options: NativeSignInOptions): Promise<NativeCredential> {
  const metadata = await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json() as {
    authorization_endpoint: string
    token_endpoint: string
  }
  const redirectUri = options.webClient?.redirectUri ?? NATIVE_REDIRECT_URI
  const nonce = randomBytes(32).toString('base64url')
  const state = randomBytes(32).toString('base64url')
  const codeVerifier = randomBytes(32).toString('base64url')

  const authorizationUrl = new URL(metadata.authorization_endpoint)
  authorizationUrl.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state,
    nonce: nonceParameter(nonce, options.nonceForm ?? 'sha256-hex'),
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256'
  }).toString()

  const redirect = await signInAtProvider(authorizationUrl.href, { login: options.login, redirectUri })
  if (redirect.searchParams.get('state') !== state) throw new Error('the provider redirected with another state')
  const code = redirect.searchParams.get('code')
  if (code === null) throw new Error(`the provider redirected without a code: ${redirect.searchParams.get('error') ?? 'no error either'}`)

  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.webClient === undefined ? {} : { authorization: basicAuthorization(options.clientId, options.webClient.clientSecret) })
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: options.clientId,
      code_verifier: codeVerifier
    }).toString()
  })
  const tokens = await response.json() as { id_token?: string, error?: string }
  if (response.status !== 200 || tokens.id_token === undefined) {
    throw new Error(`token endpoint returned HTTP ${response.status} (${tokens.error ?? 'no id_token'})`)
  }
  return { idToken: tokens.id_token, nonce }
}

/** RFC 6749 section 2.3.1: both parts are form-encoded before they are joined. */
function basicAuthorization (clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2)
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`
}

function nonceParameter (nonce: string, form: NonceForm): string {
  switch (form) {
    case 'raw':
      return nonce
    case 'sha256-hex':
      return createHash('sha256').update(nonce).digest('hex')
    case 'sha256-base64url':
      return createHash('sha256').update(nonce).digest('base64url')
  }
}
