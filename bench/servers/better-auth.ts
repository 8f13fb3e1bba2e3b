// (d) better-auth's social sign-in endpoint, with its state in SQLite through better-sqlite3.
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { toNodeHandler } from 'better-auth/node'
import { announce, CLIENT_ID, CLIENT_SECRET, PORT } from './shared.js'

process.env.BETTER_AUTH_TELEMETRY = '0'
const database = new Database(join(mkdtempSync(join(tmpdir(), 'bench-better-auth-')), 'auth.sqlite'))
database.pragma('journal_mode = WAL')
const auth = betterAuth({
  database,
  secret: 'bench-better-auth-secret-0123456789abcdef',
  baseURL: `http://127.0.0.1:${PORT}`,
  telemetry: { enabled: false },
  socialProviders: { github: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }
})
const { runMigrations } = await getMigrations(auth.options)
await runMigrations()

const server = createServer(toNodeHandler(auth))
server.listen(PORT, '127.0.0.1', () => announce(`http://127.0.0.1:${PORT}`))
