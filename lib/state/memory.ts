import { StoreKeyExistsError, StoreUnavailableError } from '../errors.js'
import { ExpiryHeap } from './expiry-heap.js'
import type { StateRecord, StateStore } from './store.js'

export interface MemoryStateStoreOptions {
  /**
   * Maximum number of entries: pending states and used id_tokens. When full, new sign-ins get 503
   * until entries expire, so rate-limit GET per client. Default 10,000.
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
  // Expiry times of the entries, soonest first. `take` leaves its key's item behind, and such stale
  // items are skipped when they come up.
  readonly #expiries = new ExpiryHeap()

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
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError(`ttlMs must be a positive number, got ${String(ttlMs)}`)
    const now = Date.now()
    this.#evictExpired(now)
    // A taken key is reported before a full store, so a replayed id_token gets its 400 even then.
    if (this.#entries.has(key)) throw new StoreKeyExistsError('key exists in MemoryStateStore')
    if (this.#entries.size >= this.maxEntries) {
      throw new StoreUnavailableError(`MemoryStateStore is full (${this.maxEntries} entries)`, {
        retryAfterSeconds: Math.max(1, Math.ceil((this.#nextExpiry() - now) / 1000))
      })
    }

    const expiresAt = now + ttlMs
    this.#entries.set(key, { record, expiresAt })
    this.#expiries.push({ key, expiresAt })
    // Stale items from taken keys would otherwise pile up while sign-ins complete faster than they expire.
    if (this.#expiries.size > 2 * this.#entries.size + 1024) {
      this.#expiries.rebuild([...this.#entries].map(([entryKey, entry]) => ({ key: entryKey, expiresAt: entry.expiresAt })))
    }
  }

  async take (key: string): Promise<StateRecord | null> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return null
    this.#entries.delete(key)
    return entry.expiresAt > Date.now() ? entry.record : null
  }

  /** Drops the expired entries, soonest first, at O(log n) each. */
  #evictExpired (now: number): void {
    for (let next = this.#expiries.peek(); next !== undefined && next.expiresAt <= now; next = this.#expiries.peek()) {
      this.#expiries.pop()
      if (this.#entries.get(next.key)?.expiresAt === next.expiresAt) this.#entries.delete(next.key)
    }
  }

  /** Returns when the next live entry expires, dropping stale items on the way. */
  #nextExpiry (): number {
    for (let next = this.#expiries.peek(); next !== undefined; next = this.#expiries.peek()) {
      if (this.#entries.get(next.key)?.expiresAt === next.expiresAt) return next.expiresAt
      this.#expiries.pop()
    }
    return Date.now()
  }
}
