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
  readonly #entries = new Map<string, Entry>()
  // No entry expires before this time, so a full store needs no sweep until then.
  #soonestExpiry = Number.POSITIVE_INFINITY

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
    if (this.#entries.size >= this.maxEntries) {
      if (now >= this.#soonestExpiry) this.#evictExpired(now)
      if (this.#entries.size >= this.maxEntries) {
        throw new StoreUnavailableError(`MemoryStateStore is full (${this.maxEntries} pending states)`, {
          retryAfterSeconds: Math.max(1, Math.ceil((this.#soonestExpiry - now) / 1000))
        })
      }
    }
    const existing = this.#entries.get(key)
    if (existing !== undefined && existing.expiresAt > now) {
      throw new StoreKeyExistsError('key exists in MemoryStateStore')
    }
    // Deleting first moves a replaced expired key to the end of the map's order.
    this.#entries.delete(key)
    this.#entries.set(key, { record, expiresAt: now + ttlMs })
    this.#soonestExpiry = Math.min(this.#soonestExpiry, now + ttlMs)
  }

  async take (key: string): Promise<StateRecord | null> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return null
    this.#entries.delete(key)
    return entry.expiresAt > Date.now() ? entry.record : null
  }

  /**
   * Drops every expired entry and records when the next live one expires. It scans the whole map,
   * because entries differ in lifetime: states live `stateTtlSeconds`, used id_tokens up to about
   * an hour. A full store runs it at most once per expiry time, not on every save.
   */
  #evictExpired (now: number): void {
    let soonest = Number.POSITIVE_INFINITY
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key)
      else soonest = Math.min(soonest, entry.expiresAt)
    }
    this.#soonestExpiry = soonest
  }
}
