import type { Cluster, Redis } from 'ioredis'
import { StoreKeyExistsError, StoreUnavailableError } from '../errors.js'
import { decodeRecord, encodeRecord, type StateRecord, type StateStore } from './store.js'

export interface RedisStateStoreOptions {
  /** Prepended to every key. Default `social-auth:state:`. */
  keyPrefix?: string
  /**
   * Milliseconds to wait for one command before the request fails with 503. Default 2,000. A command that times
   * out may still run later, so a POST that got 503 this way may have used up its state.
   */
  commandTimeoutMs?: number
}

/**
 * State store on Redis through ioredis: a single client, a Sentinel set or a Cluster. `SET … PX … NX`
 * saves and `GETDEL` takes, so a state is single-use across every app instance (Redis 6.2 or later).
 */
export class RedisStateStore implements StateStore {
  readonly client: Redis | Cluster
  readonly keyPrefix: string
  readonly commandTimeoutMs: number
  #hasBeenReady: boolean

  constructor (client: Redis | Cluster, options: RedisStateStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof (client as Redis).getdel !== 'function') {
      throw new TypeError('RedisStateStore needs an ioredis client (Redis or Cluster)')
    }
    const keyPrefix = options.keyPrefix ?? 'social-auth:state:'
    if (typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string')
    const commandTimeoutMs = options.commandTimeoutMs ?? 2000
    if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
      throw new TypeError(`commandTimeoutMs must be a positive number, got ${String(options.commandTimeoutMs)}`)
    }
    this.client = client
    this.keyPrefix = keyPrefix
    this.commandTimeoutMs = commandTimeoutMs
    this.#hasBeenReady = client.status === 'ready'
    if (!this.#hasBeenReady) client.once('ready', () => { this.#hasBeenReady = true })
  }

  // TODO: a pending state takes about 312 bytes in Redis (docs/benchmarks.md). Deriving the PKCE
  // verifier and the nonce from one stored secret, with a binary encoding, would bring it near 200.
  async save (key: string, record: StateRecord, ttlMs: number): Promise<void> {
    const result = await this.#run(() => this.client.set(this.keyPrefix + key, encodeRecord(record), 'PX', ttlMs, 'NX'))
    if (result !== 'OK') throw new StoreKeyExistsError('key exists in Redis')
  }

  async take (key: string): Promise<StateRecord | null> {
    const value = await this.#run(() => this.client.getdel(this.keyPrefix + key))
    return value === null ? null : decodeRecord(value)
  }

  async #run<T> (command: () => Promise<T>): Promise<T> {
    // After the first connection, a command sent while ioredis is not ready would wait in its offline
    // queue and could run after the 503 went out, using up a state that the client may retry with.
    // Before it, commands wait for the first connection, as the app starts.
    const status = this.client.status
    if (status !== 'ready' && (this.#hasBeenReady || status === 'end' || status === 'close')) {
      throw new StoreUnavailableError(`Redis connection is ${this.client.status}`)
    }
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(`Redis command timed out after ${this.commandTimeoutMs} ms`)), this.commandTimeoutMs)
      command().then((value) => {
        clearTimeout(timer)
        resolve(value)
      }, (error: Error) => {
        clearTimeout(timer)
        reject(new StoreUnavailableError(`Redis command failed: ${error.message}`, { cause: error }))
      })
    })
  }
}
