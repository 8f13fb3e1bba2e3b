/**
 * A whole social sign-in on this machine: a local OpenID provider, a Fastify app with the plugin
 * and its SQLite accounts adapter, and a scripted browser that clicks through the provider's
 * sign-in and consent pages.
 *
 *   npm run demo                                  in-memory state store, SQLite file in a temporary folder
 *   REDIS_URL=redis://127.0.0.1:6379 npm run demo  Redis state store
 *   DEMO_DATABASE=./demo.sqlite npm run demo       keep the users in that SQLite file
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { decodeJwt } from 'jose'
import { Redis } from 'ioredis'
import socialAuth, { MemoryStateStore, RedisStateStore, SqliteAccountsAdapter, type StateStore } from '../../lib/index.js'
import { signInAtProvider } from './browser.js'
import { startOidcServer } from './local-provider.js'

// The front-end page the provider sends the browser back to. The demo never serves it: the
// scripted browser reads code and state from the redirect, as a single-page app would.
const REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback'

const temporaryFolder = process.env.DEMO_DATABASE === undefined ? mkdtempSync(join(tmpdir(), 'social-auth-demo-')) : null
const databaseFile = process.env.DEMO_DATABASE ?? join(temporaryFolder as string, 'demo.sqlite')
const database = new Database(databaseFile)
const accounts = new SqliteAccountsAdapter(database)
await accounts.migrate()

const provider = await startOidcServer({ redirectUris: [REDIRECT_URI] })
const redis = process.env.REDIS_URL === undefined ? null : new Redis(process.env.REDIS_URL)
const stateStore: StateStore = redis === null ? new MemoryStateStore() : new RedisStateStore(redis, { keyPrefix: 'social-auth-demo:state:' })

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })
await app.register(socialAuth, {
  prefix: '/auth',
  redirectUris: [REDIRECT_URI],
  stateStore,
  providers: {
    local: { type: 'oidc', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret }
  },
  accounts: { adapter: accounts, associateByEmail: true },
  jwt: { secret: 'demo-only-secret-replace-with-32-random-bytes', expiresIn: 900, issuer: 'fastify-social-auth-demo' }
})
const appUrl = await app.listen({ port: 0, host: '127.0.0.1' })

try {
  console.log(`Local OpenID provider: ${provider.issuer}`)
  console.log(`App with fastify-social-auth: ${appUrl} (state store: ${redis === null ? 'memory' : 'Redis'}, users in ${databaseFile})\n`)

  console.log('1. The front end asks the app where to send the browser')
  const begin = await fetch(`${appUrl}/auth/o/local/?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`)
  const { authorization_url: authorizationUrl } = await begin.json() as { authorization_url: string }
  console.log(`  GET /auth/o/local/ -> ${begin.status}`)
  console.log(`  authorization_url: ${authorizationUrl}\n`)

  console.log('2. The browser signs in at the provider as "demo-user" and gives consent')
  const callback = await signInAtProvider(authorizationUrl, { login: 'demo-user', redirectUri: REDIRECT_URI })
  console.log(`  the provider redirected to ${callback.origin}${callback.pathname} with code, state and iss\n`)

  console.log('3. The front end posts code and state back to the app')
  const complete = await fetch(`${appUrl}/auth/o/local/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      code: callback.searchParams.get('code'),
      state: callback.searchParams.get('state'),
      iss: callback.searchParams.get('iss')
    })
  })
  const body = await complete.json() as { token?: string }
  console.log(`  POST /auth/o/local/ -> ${complete.status}`)
  console.log(`  body: ${JSON.stringify(body, null, 2).replaceAll('\n', '\n  ')}`)
  if (complete.status !== 201 || typeof body.token !== 'string') throw new Error('sign-in failed')
  console.log(`  token claims: ${JSON.stringify(decodeJwt(body.token), null, 2).replaceAll('\n', '\n  ')}`)
  const user = database.prepare('SELECT id, email, username, first_name, last_name, created_at FROM users').all()
  const links = database.prepare('SELECT user_id, provider, uid, scope, last_login_at FROM social_accounts').all()
  console.log(`  users table: ${JSON.stringify(user)}`)
  console.log(`  social_accounts table: ${JSON.stringify(links)}\n`)

  console.log('4. The same state again is rejected: states are single-use')
  const replay = await fetch(`${appUrl}/auth/o/local/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: callback.searchParams.get('code'), state: callback.searchParams.get('state') })
  })
  console.log(`  POST /auth/o/local/ -> ${replay.status} ${await replay.text()}`)
} finally {
  await app.close()
  redis?.disconnect()
  await provider.close()
  database.close()
  if (temporaryFolder !== null) rmSync(temporaryFolder, { recursive: true, force: true })
}
