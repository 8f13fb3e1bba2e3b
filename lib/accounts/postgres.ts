import type { Pool, PoolClient } from 'pg'
import { MIGRATIONS_TABLE, readMigrations } from './migrations.js'
import { AccountConflictError, type AccountData, type AccountsAdapter, type NewUser, type StoredAccount, type StoredUser } from './types.js'

interface UserRow {
  id: string
  email: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  is_active: boolean
}

const USER_COLUMNS = 'users.id, users.email, users.username, users.first_name, users.last_name, users.is_active'
// Arbitrary constant that names this package's migration lock among the database's advisory locks.
const MIGRATION_LOCK_ID = 7_316_224_405

/**
 * Accounts adapter on PostgreSQL through a `pg` Pool. Run `migrate()` once at start-up: instances
 * that start together wait for one another on an advisory lock.
 */
export class PostgresAccountsAdapter implements AccountsAdapter {
  readonly pool: Pool

  constructor (pool: Pool) {
    if (pool === null || typeof pool !== 'object' || typeof (pool as Pool).connect !== 'function') {
      throw new TypeError('PostgresAccountsAdapter needs a pg Pool')
    }
    this.pool = pool
  }

  /** Applies the shipped migrations that this database lacks, in one transaction. */
  async migrate (): Promise<string[]> {
    return await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID])
      await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
      const applied = new Set((await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((row) => row.name))
      const done: string[] = []
      for (const migration of readMigrations('postgres')) {
        if (applied.has(migration.name)) continue
        await client.query(migration.sql)
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ($1)`, [migration.name])
        done.push(migration.name)
      }
      return done
    })
  }

  async findUserByAccount (provider: string, uid: string): Promise<StoredUser | null> {
    const result = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users JOIN social_accounts ON social_accounts.user_id = users.id WHERE social_accounts.provider = $1 AND social_accounts.uid = $2`,
      [provider, uid]
    )
    return firstUser(result.rows)
  }

  async findUserByEmail (email: string): Promise<StoredUser | null> {
    return firstUser((await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")`, [email])).rows)
  }

  async findUserById (id: number | string): Promise<StoredUser | null> {
    if (!/^\d{1,19}$/.test(String(id))) return null
    return firstUser((await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [String(id)])).rows)
  }

  async createUserWithAccount (user: NewUser, account: AccountData): Promise<StoredUser> {
    return await conflictsAsErrors(async () => await this.#transaction(async (client) => {
      const result = await client.query<UserRow>(
        `INSERT INTO users (email, username, first_name, last_name) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS.replaceAll('users.', '')}`,
        [user.email, user.username, user.firstName, user.lastName]
      )
      const created = result.rows[0] as UserRow
      await insertAccount(client, created.id, account)
      return toUser(created)
    }))
  }

  async linkAccount (userId: number | string, account: AccountData): Promise<void> {
    await conflictsAsErrors(async () => { await insertAccount(this.pool, String(userId), account) })
  }

  async updateAccount (account: AccountData): Promise<void> {
    await this.pool.query(
      `UPDATE social_accounts SET email = $1, access_token = CASE WHEN $12::boolean THEN access_token ELSE $2 END,
        refresh_token = CASE WHEN $11::boolean THEN refresh_token ELSE $3 END, id_token = $4,
        token_expires_at = CASE WHEN $12::boolean THEN token_expires_at ELSE $5 END, scope = CASE WHEN $12::boolean THEN scope ELSE $6 END,
        extra_data = $7, last_login_at = $8 WHERE provider = $9 AND uid = $10`,
      [account.email, account.accessToken, account.refreshToken, account.idToken, account.tokenExpiresAt, account.scope,
        JSON.stringify(account.extraData), account.lastLoginAt, account.provider, account.uid, account.keepStoredRefreshToken === true,
        account.keepStoredAccessToken === true]
    )
  }

  async findAccount (provider: string, uid: string): Promise<StoredAccount | null> {
    const result = await this.pool.query('SELECT * FROM social_accounts WHERE provider = $1 AND uid = $2', [provider, uid])
    const row = result.rows[0]
    if (row === undefined) return null
    return {
      userId: toId(row.user_id),
      provider: row.provider,
      uid: row.uid,
      email: row.email,
      accessToken: row.access_token,
      refreshToken: row.refresh_token,
      idToken: row.id_token,
      tokenExpiresAt: row.token_expires_at,
      scope: row.scope,
      extraData: row.extra_data,
      lastLoginAt: row.last_login_at
    }
  }

  async #transaction<T> (work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      // A connection whose ROLLBACK fails is in an unknown state, so the pool discards it.
      await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError })
      throw error
    } finally {
      client.release(broken)
    }
  }
}

async function insertAccount (client: Pick<Pool, 'query'>, userId: string, account: AccountData): Promise<void> {
  await client.query(
    `INSERT INTO social_accounts (user_id, provider, uid, email, access_token, refresh_token, id_token, token_expires_at, scope, extra_data, last_login_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [userId, account.provider, account.uid, account.email, account.accessToken, account.refreshToken, account.idToken,
      account.tokenExpiresAt, account.scope, JSON.stringify(account.extraData), account.lastLoginAt]
  )
}

/** BIGSERIAL ids arrive as strings. Those within the safe integer range become numbers, as SQLite's are. */
function toId (value: string): number | string {
  const id = Number(value)
  return Number.isSafeInteger(id) ? id : value
}

function toUser (row: UserRow): StoredUser {
  return { id: toId(row.id), email: row.email, username: row.username, firstName: row.first_name, lastName: row.last_name, isActive: row.is_active }
}

function firstUser (rows: UserRow[]): StoredUser | null {
  const row = rows[0]
  return row === undefined ? null : toUser(row)
}

async function conflictsAsErrors<T> (write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    // 23505 is PostgreSQL's unique_violation.
    if ((error as { code?: string }).code === '23505') throw new AccountConflictError('a unique constraint rejected the write', { cause: error })
    throw error
  }
}
