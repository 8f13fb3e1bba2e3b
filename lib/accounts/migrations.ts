import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One SQL migration file: its name, such as `001_initial.sql`, and its statements. */
export interface Migration {
  name: string
  sql: string
}

/** Table that records applied migrations, created by each adapter's `migrate()`. */
export const MIGRATIONS_TABLE = 'social_auth_migrations'

/**
 * Reads the shipped migrations of one SQL dialect, in name order. The folder sits at the package
 * root, which is two levels up from the sources and three from the compiled `dist/lib/accounts`.
 */
export function readMigrations (dialect: 'sqlite' | 'postgres'): Migration[] {
  let folder = dirname(fileURLToPath(import.meta.url))
  for (let level = 0; level < 5; level++) {
    const candidate = join(folder, 'migrations', dialect)
    if (existsSync(candidate)) {
      return readdirSync(candidate)
        .filter((name) => name.endsWith('.sql'))
        .sort()
        .map((name) => ({ name, sql: readFileSync(join(candidate, name), 'utf8') }))
    }
    folder = dirname(folder)
  }
  throw new Error(`migrations/${dialect} not found above ${fileURLToPath(import.meta.url)}`)
}
