import type { Database } from 'better-sqlite3'
import { MIGRATIONS_TABLE, readMigrations } from './migrations.js'
import { AccountConflictError, type AccountData, type AccountsAdapter, type NewUser, type StoredAccount, type StoredUser } from './types.js'

interface UserRow {
  id: number
  email: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  is_active: number
}

interface AccountRow {
  user_id: number
  provider: string
  uid: string
  email: string | null
  access_token: string | null
  refresh_token: string | null
  id_token: string | null
  token_expires_at: string | null
  scope: string | null
  extra_data: string
  last_login_at: string | null
}

const USER_COLUMNS = 'users.id, users.email, users.username, users.first_name, users.last_name, users.is_active'

/**
 * Accounts adapter on SQLite through better-sqlite3 (version 12), the embedded default. Give it an
 * open database. Run `migrate()` once at start-up to create or update the tables.
 */
export class SqliteAccountsAdapter implements AccountsAdapter {
  readonly db: Database

  constructor (db: Database) {
    if (db === null || typeof db !== 'object' || typeof (db as Database).prepare !== 'function') {
      throw new TypeError('SqliteAccountsAdapter needs a better-sqlite3 Database')
    }
    this.db = db
    db.pragma('foreign_keys = ON')
    // Another process holding the write lock makes writers wait instead of failing at once.
    db.pragma('busy_timeout = 5000')
  }

  /** Applies the shipped migrations that this database lacks, each in its own transaction. */
  async migrate (): Promise<string[]> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`)
    const done: string[] = []
    for (const migration of readMigrations('sqlite')) {
      // The check runs inside the write lock, so two processes migrating at once apply each file once.
      const applied = this.db.transaction(() => {
        if (this.db.prepare(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE name = ?`).get(migration.name) !== undefined) return false
        this.db.exec(migration.sql)
        this.db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)`).run(migration.name, new Date().toISOString())
        return true
      }).immediate()
      if (applied) done.push(migration.name)
    }
    return done
  }

  async findUserByAccount (provider: string, uid: string): Promise<StoredUser | null> {
    const row = this.db.prepare(`SELECT ${USER_COLUMNS} FROM users JOIN social_accounts ON social_accounts.user_id = users.id WHERE social_accounts.provider = ? AND social_accounts.uid = ?`)
      .get(provider, uid) as UserRow | undefined
    return row === undefined ? null : toUser(row)
  }

  async findUserByEmail (email: string): Promise<StoredUser | null> {
    const row = this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE email = ? COLLATE NOCASE`).get(email) as UserRow | undefined
    return row === undefined ? null : toUser(row)
  }

  async findUserById (id: number | string): Promise<StoredUser | null> {
    const row = this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow | undefined
    return row === undefined ? null : toUser(row)
  }

  async createUserWithAccount (user: NewUser, account: AccountData): Promise<StoredUser> {
    return conflictsAsErrors(() => this.db.transaction(() => {
      const result = this.db.prepare('INSERT INTO users (email, username, first_name, last_name) VALUES (?, ?, ?, ?)')
        .run(user.email, user.username, user.firstName, user.lastName)
      this.#insertAccount(Number(result.lastInsertRowid), account)
      return toUser(this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(result.lastInsertRowid) as UserRow)
    }).immediate())
  }

  async linkAccount (userId: number | string, account: AccountData): Promise<void> {
    conflictsAsErrors(() => this.#insertAccount(userId, account))
  }

  async updateAccount (account: AccountData): Promise<void> {
    const keepAccess = account.keepStoredAccessToken === true ? 1 : 0
    this.db.prepare(`UPDATE social_accounts SET email = ?, access_token = CASE WHEN ? THEN access_token ELSE ? END,
      refresh_token = CASE WHEN ? THEN refresh_token ELSE ? END, id_token = ?, token_expires_at = CASE WHEN ? THEN token_expires_at ELSE ? END,
      scope = CASE WHEN ? THEN scope ELSE ? END, extra_data = ?, last_login_at = ? WHERE provider = ? AND uid = ?`)
      .run(account.email, keepAccess, account.accessToken, account.keepStoredRefreshToken === true ? 1 : 0, account.refreshToken, account.idToken,
        keepAccess, account.tokenExpiresAt?.toISOString() ?? null, keepAccess, account.scope, JSON.stringify(account.extraData),
        account.lastLoginAt.toISOString(), account.provider, account.uid)
  }

  async findAccount (provider: string, uid: string): Promise<StoredAccount | null> {
    const row = this.db.prepare('SELECT * FROM social_accounts WHERE provider = ? AND uid = ?').get(provider, uid) as AccountRow | undefined
    if (row === undefined) return null
    return {
      userId: row.user_id,
      provider: row.provider,
      uid: row.uid,
      email: row.email,
      accessToken: row.access_token,
      refreshToken: row.refresh_token,
      idToken: row.id_token,
      tokenExpiresAt: row.token_expires_at === null ? null : new Date(row.token_expires_at),
      scope: row.scope,
      extraData: JSON.parse(row.extra_data) as Record<string, unknown>,
      lastLoginAt: new Date(row.last_login_at ?? 0)
    }
  }

  #insertAccount (userId: number | string, account: AccountData): void {
    this.db.prepare(`INSERT INTO social_accounts (user_id, provider, uid, email, access_token, refresh_token, id_token, token_expires_at, scope, extra_data, last_login_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(userId, account.provider, account.uid, account.email, account.accessToken, account.refreshToken, account.idToken,
        account.tokenExpiresAt?.toISOString() ?? null, account.scope, JSON.stringify(account.extraData), account.lastLoginAt.toISOString())
  }
}

function toUser (row: UserRow): StoredUser {
  return { id: row.id, email: row.email, username: row.username, firstName: row.first_name, lastName: row.last_name, isActive: row.is_active === 1 }
}

function conflictsAsErrors<T> (write: () => T): T {
  try {
    return write()
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new AccountConflictError('a unique constraint rejected the write', { cause: error })
    }
    throw error
  }
}
