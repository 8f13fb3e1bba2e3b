// (c) @fastify/oauth2's own start-redirect route with PKCE S256: state and verifier go into cookies.
import fastifyOauth2 from '@fastify/oauth2'
import Fastify from 'fastify'
import type { AuthorizationCode } from 'simple-oauth2'
import { announce, CLIENT_ID, CLIENT_SECRET, ISSUER, PORT, REDIRECT_URI } from './shared.js'

const app = Fastify()
await app.register(fastifyOauth2, {
  name: 'bench',
  credentials: {
    client: { id: CLIENT_ID, secret: CLIENT_SECRET },
    auth: { authorizeHost: ISSUER, authorizePath: '/authorize', tokenHost: ISSUER, tokenPath: '/token' }
  },
  startRedirectPath: '/o/bench/',
  callbackUri: REDIRECT_URI,
  scope: ['openid', 'email', 'profile'],
  pkce: 'S256'
})
// The code exchange, for the POST comparison: the same simple-oauth2 client on the same stand-in.
app.post('/exchange', async (request) => {
  const { code } = request.body as { code: string }
  const client = (app.bench as unknown as { oauth2: AuthorizationCode }).oauth2
  const token = await client.getToken({ code, redirect_uri: REDIRECT_URI } as never)
  return { access_token: token.token.access_token }
})
announce(await app.listen({ port: PORT, host: '127.0.0.1' }))

declare module 'fastify' {
  interface FastifyInstance {
    bench: import('@fastify/oauth2').OAuth2Namespace
  }
}
