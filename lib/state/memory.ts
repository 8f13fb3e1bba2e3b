import { StoreKeyExistsError, StoreUnavailableError } from '../errors.js'
import type { StateRecord, StateStore } from './store.js'

export interface MemoryStateStoreOptions {
  /**
   * Maximum number of pending states. When full, new sign-ins get 503 until states expire, so
   * rate-limit GET per client. Default 10,000.
   */
  maxEntries?: number
}

interface Entry {
  record: StateRecord
  expiresAt: number
}

/**
 * In-process state store: the embedded default for a single instance. States saved here are
 * invisible to other processes, so behind a load balancer use `RedisStateStore`.
 */
export class MemoryStateStore implements StateStore {
  readonly maxEntries: number
  // A Map keeps insertion order, which is expiry order whenever the TTL is constant.
  readonly #entries = new Map<string, Entry>()

  constructor (options: MemoryStateStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`maxEntries must be a positive integer, got ${String(options.maxEntries)}`)
    }
    this.maxEntries = maxEntries
  }

  get size (): number {
    return this.#entries.size
  }

  async save (key: string, record: StateRecord, ttlMs: number): Promise<void> {
    const now = Date.now()
    if (this.#entries.size >= this.maxEntries) this.#evictExpired(now)
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.values().next().value as Entry
      throw new StoreUnavailableError(`MemoryStateStore is full (${this.maxEntries} pending states)`, {
        retryAfterSeconds: Math.max(1, Math.ceil((oldest.expiresAt - now) / 1000))
      })
    }
    if (this.#entries.has(key)) {
      throw new StoreKeyExistsError('key exists in MemoryStateStore')
    }
    this.#entries.set(key, { record, expiresAt: now + ttlMs })
  }

  async take (key: string): Promise<StateRecord | null> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return null
    this.#entries.delete(key)
    return entry.expiresAt > Date.now() ? entry.record : null
  }

  /** Drops expired entries from the oldest on, and stops at the first live one. */
  #evictExpired (now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break
      this.#entries.delete(key)
    }
  }
}
