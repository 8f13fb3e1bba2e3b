/** One key's expiry time, in milliseconds since the epoch. */
export interface Expiry {
  key: string
  expiresAt: number
}

/**
 * Binary min-heap of expiry times, soonest first. Push and pop cost O(log n), so a store finds its
 * expired keys without scanning every entry, whatever their lifetimes.
 */
export class ExpiryHeap {
  readonly #items: Expiry[] = []

  get size (): number {
    return this.#items.length
  }

  push (item: Expiry): void {
    const items = this.#items
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if ((items[parent] as Expiry).expiresAt <= item.expiresAt) break
      items[index] = items[parent] as Expiry
      index = parent
    }
    items[index] = item
  }

  peek (): Expiry | undefined {
    return this.#items[0]
  }

  pop (): Expiry | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && (items[right] as Expiry).expiresAt < (items[left] as Expiry).expiresAt ? right : left
      if ((items[child] as Expiry).expiresAt >= last.expiresAt) break
      items[index] = items[child] as Expiry
      index = child
    }
    items[index] = last
    return top
  }

  /** Replaces the contents with these items. A sorted array is a valid heap. */
  rebuild (items: Expiry[]): void {
    this.#items.length = 0
    for (const item of items.sort((a, b) => a.expiresAt - b.expiresAt)) this.#items.push(item)
  }
}
