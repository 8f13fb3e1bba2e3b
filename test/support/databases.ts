import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { PostgresAccountsAdapter, SqliteAccountsAdapter, type AccountsAdapter } from '../../lib/index.js'

/** PostgreSQL the tests use. They work in a schema of their own and drop only that schema. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test'

/** A migrated adapter on a fresh database, with raw SQL access for the tests' own checks. */
export interface TestDatabase {
  adapter: AccountsAdapter
  /** Runs SQL with `?` placeholders, whatever the dialect. */
  query: (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>
  close: () => Promise<void>
}

export async function sqliteDatabase (): Promise<TestDatabase> {
  const folder = mkdtempSync(join(tmpdir(), 'social-auth-sqlite-'))
  const db = new Database(join(folder, 'accounts.sqlite'))
  db.pragma('journal_mode = WAL')
  const adapter = new SqliteAccountsAdapter(db)
  await adapter.migrate()
  return {
    adapter,
    query: async (sql, params = []) => {
      const statement = db.prepare(sql)
      if (statement.reader) return statement.all(...params) as Array<Record<string, unknown>>
      statement.run(...params)
      return []
    },
    close: async () => {
      db.close()
      rmSync(folder, { recursive: true, force: true })
    }
  }
}

export async function postgresDatabase (): Promise<TestDatabase> {
  const schema = `social_auth_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${schema}`, max: 10 })
  const adapter = new PostgresAccountsAdapter(pool)
  await adapter.migrate()
  return {
    adapter,
    query: async (sql, params = []) => {
      let index = 0
      const text = sql.replace(/\?/g, () => `$${++index}`)
      return (await pool.query(text, params)).rows as Array<Record<string, unknown>>
    },
    close: async () => {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`)
      await pool.end()
    }
  }
}
