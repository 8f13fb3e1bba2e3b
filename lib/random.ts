import { randomFillSync } from 'node:crypto'

// One call to the system's random source per 64 sign-ins instead of one each: the call, not the
// bytes, is what costs (it showed as 8% of a GET's CPU time in a profile).
const POOL_BYTES = 96 * 64
const pool = Buffer.alloc(POOL_BYTES)
let offset = POOL_BYTES

/**
 * Returns `size` cryptographically random bytes, copied out of a pool that is refilled from
 * `randomFillSync` when it runs out. Each byte is handed out once.
 */
export function randomBytesFromPool (size: number): Buffer {
  if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size))
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size))
  // The handed-out bytes are wiped from the pool, so a later heap dump does not show them.
  pool.fill(0, offset, offset + size)
  offset += size
  return bytes
}
