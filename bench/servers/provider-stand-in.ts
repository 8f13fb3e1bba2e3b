// A fast loopback stand-in for an OpenID provider: discovery, JWKS, token and userinfo from memory.
// The id_token must echo each sign-in's nonce, so the benchmark sends the nonce as the code and the
// token endpoint signs it with ES256, the cheapest of the usual algorithms.
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { announce, CLIENT_ID, PORT } from './shared.js'

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' }] })
const userinfo = JSON.stringify({ sub: 'bench-user', email: 'bench@example.test', email_verified: true, name: 'Bench User' })
let issuer = ''

const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const path = (request.url ?? '').split('?')[0]
    response.setHeader('content-type', 'application/json')
    if (path === '/.well-known/openid-configuration') {
      response.end(JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ['ES256']
      }))
    } else if (path === '/jwks') {
      response.end(jwks)
    } else if (path === '/userinfo') {
      response.end(userinfo)
    } else if (path === '/token') {
      const code = new URLSearchParams(Buffer.concat(chunks).toString()).get('code') ?? ''
      const now = Math.floor(Date.now() / 1000)
      new SignJWT({ nonce: code })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
        .setIssuer(issuer).setAudience(CLIENT_ID).setSubject('bench-user').setIssuedAt(now).setExpirationTime(now + 300)
        .sign(privateKey)
        .then((idToken) => response.end(JSON.stringify({ access_token: 'bench-access-token', token_type: 'Bearer', expires_in: 3600, id_token: idToken })))
        .catch(() => { response.statusCode = 500; response.end('{}') })
    } else {
      response.statusCode = 404
      response.end('{}')
    }
  })
})
server.listen(PORT, '127.0.0.1', () => {
  const address = server.address()
  issuer = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : PORT}`
  announce(issuer)
})
