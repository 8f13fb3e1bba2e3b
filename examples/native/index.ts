/**
 * Native sign-in on this machine: a local OpenID provider with a web client and an iOS client, a
 * Fastify app that accepts id_tokens issued to either, and a script that plays the iOS app. The
 * app signs in through the SDK's flow, gets an id_token whose nonce is the SHA-256 of its own raw
 * nonce, and POSTs both to the API. A second POST of the same id_token is rejected as a replay.
 *
 *   npm run example:native
 */
import Fastify from 'fastify'
import { decodeJwt } from 'jose'
import socialAuth, { MemoryStateStore } from '../../lib/index.js'
import { startOidcServer } from '../demo/local-provider.js'
import { signInAsNativeApp } from './app.js'

const WEB_REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback'
const IOS_CLIENT_ID = 'social-auth-demo-ios'

const provider = await startOidcServer({ redirectUris: [WEB_REDIRECT_URI], nativeClientIds: [IOS_CLIENT_ID], claimsInIdToken: true })
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
await app.register(socialAuth, {
  redirectUris: [WEB_REDIRECT_URI],
  // One process: the memory store keeps the used id_tokens. Behind a load balancer, use RedisStateStore.
  stateStore: new MemoryStateStore(),
  providers: {
    local: {
      type: 'oidc',
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      allowIdTokenSignIn: true,
      clientIds: { ios: IOS_CLIENT_ID }
    }
  },
  resolveUser: async (identity) => ({ id: `${identity.provider}:${identity.uid}`, email: identity.email, username: identity.username }),
  jwt: { secret: 'demo-only-secret-replace-with-32-random-bytes', expiresIn: 900 }
})
const appUrl = await app.listen({ port: 0, host: '127.0.0.1' })

async function postToApi (fields: Record<string, string>): Promise<{ status: number, body: Record<string, unknown> }> {
  const response = await fetch(`${appUrl}/o/local/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields)
  })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

try {
  console.log(`Local OpenID provider: ${provider.issuer} (web client ${provider.clientId}, iOS client ${IOS_CLIENT_ID})`)
  console.log(`API with fastify-social-auth: ${appUrl}\n`)

  console.log('1. The iOS app signs in with the provider\'s SDK as "native-user", passing the SHA-256 of a raw nonce')
  const credential = await signInAsNativeApp({ issuer: provider.issuer, clientId: IOS_CLIENT_ID, login: 'native-user', nonceForm: 'sha256-hex' })
  const claims = decodeJwt(credential.idToken)
  console.log(`  id_token claims: iss ${String(claims.iss)}, aud ${String(claims.aud)}, sub ${String(claims.sub)}, nonce ${String(claims.nonce).slice(0, 12)}…\n`)

  console.log('2. The app POSTs the id_token and the raw nonce to the API')
  console.log(`  raw nonce ${credential.nonce.slice(0, 12)}…, whose SHA-256 in hex is the token's nonce claim`)
  const first = await postToApi({ id_token: credential.idToken, nonce: credential.nonce })
  console.log(`  POST /o/local/ -> ${first.status}`)
  console.log(`  body: ${JSON.stringify(first.body, null, 2).replaceAll('\n', '\n  ')}\n`)
  if (first.status !== 201) throw new Error('native sign-in failed')

  console.log('3. Someone replays the same id_token')
  const replay = await postToApi({ id_token: credential.idToken, nonce: credential.nonce })
  console.log(`  POST /o/local/ -> ${replay.status} ${JSON.stringify(replay.body)}`)
  if (replay.status !== 400) throw new Error('the replayed id_token was accepted')
  console.log('\nNative sign-in worked.')
} finally {
  await app.close()
  await provider.close()
}
