import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { MemoryStateStore, RedisStateStore, StoreKeyExistsError, StoreUnavailableError, type StateRecord } from '../lib/index.js'
import { ExpiryHeap } from '../lib/state/expiry-heap.js'
import { buildApp } from './support/app.js'
import { startOidcServer, type OidcServer } from '../examples/demo/local-provider.js'
import { connectRedis, deleteKeys, freePort, RedisProcess, testKeyPrefix } from './support/redis.js'

const record: StateRecord = {
  provider: 'local',
  redirectUri: 'https://app.example.test/callback',
  codeVerifier: 'verifier-0123456789',
  nonce: 'nonce-0123456789',
  createdAt: 1_700_000_000_000,
  bindingChallenge: 'challenge-0123456789',
  cookieHash: null
}

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

describe('RedisStateStore', () => {
  let redis: Redis
  const keyPrefix = testKeyPrefix('store')

  before(() => { redis = connectRedis() })
  after(async () => {
    await deleteKeys(redis, keyPrefix)
    await redis.quit()
  })

  it('take returns the record once', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    await store.save('key-once', record, 60_000)
    assert.deepEqual(await store.take('key-once'), record)
    assert.equal(await store.take('key-once'), null)
  })

  it('record without PKCE or nonce round-trips', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    const plain = { ...record, codeVerifier: null, nonce: null }
    await store.save('key-plain', plain, 60_000)
    assert.deepEqual(await store.take('key-plain'), plain)
  })

  it('save never overwrites a key', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    await store.save('key-twice', record, 60_000)
    await assert.rejects(store.save('key-twice', { ...record, provider: 'other' }, 60_000), StoreKeyExistsError)
    assert.equal((await store.take('key-twice'))?.provider, 'local')
  })

  it('keys carry the prefix and expire', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    await store.save('key-ttl', record, 200)
    const ttl = await redis.pttl(`${keyPrefix}key-ttl`)
    assert.ok(ttl > 0, `PTTL ${ttl}`)
    assert.ok(ttl <= 200, `PTTL ${ttl}`)
    await sleep(300)
    assert.equal(await store.take('key-ttl'), null)
  })

  it('record from before the browser binding is read', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    await redis.set(`${keyPrefix}key-old`, JSON.stringify(['local', 'https://app.example.test/callback', 'verifier', 'nonce', 1_700_000_000_000]))
    assert.deepEqual(await store.take('key-old'), { ...record, codeVerifier: 'verifier', nonce: 'nonce', bindingChallenge: null, cookieHash: null })
  })

  it('foreign value acts as an unknown state', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    for (const value of ['not json', '{"provider":"local"}', '["local",1,null,null,0]', '[]']) {
      await redis.set(`${keyPrefix}key-foreign`, value)
      assert.equal(await store.take('key-foreign'), null, value)
    }
  })

  it('concurrent takes give the record to exactly one', async () => {
    const store = new RedisStateStore(redis, { keyPrefix })
    await store.save('key-race', record, 60_000)
    const results = await Promise.all(Array.from({ length: 20 }, async () => await store.take('key-race')))
    assert.equal(results.filter((result) => result !== null).length, 1)
  })

  it('constructor rejects what is not an ioredis client', () => {
    assert.throws(() => new RedisStateStore({} as never), /needs an ioredis client/)
    assert.throws(() => new RedisStateStore(redis, { commandTimeoutMs: 0 }), /commandTimeoutMs/)
  })
})

describe('MemoryStateStore', () => {
  it('take returns the record once', async () => {
    const store = new MemoryStateStore()
    await store.save('key', record, 60_000)
    assert.deepEqual(await store.take('key'), record)
    assert.equal(await store.take('key'), null)
  })

  it('save never overwrites a key', async () => {
    const store = new MemoryStateStore()
    await store.save('key-twice', record, 60_000)
    await assert.rejects(store.save('key-twice', { ...record, provider: 'other' }, 60_000), StoreKeyExistsError)
    assert.equal((await store.take('key-twice'))?.provider, 'local')
  })

  it('expired record is gone', async () => {
    const store = new MemoryStateStore()
    await store.save('key', record, 20)
    await sleep(40)
    assert.equal(await store.take('key'), null)
  })

  it('full store rejects new states', async () => {
    const store = new MemoryStateStore({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) await store.save(key, record, 60_000)
    await assert.rejects(store.save('d', record, 60_000), (error: StoreUnavailableError) => {
      assert.ok(error instanceof StoreUnavailableError)
      assert.equal(error.statusCode, 503)
      return true
    })
    assert.equal(store.size, 3)
  })

  it('full store makes room by dropping expired states', async () => {
    const store = new MemoryStateStore({ maxEntries: 2 })
    await store.save('old-1', record, 20)
    await store.save('old-2', record, 20)
    await sleep(40)
    await store.save('new', record, 60_000)
    assert.equal(store.size, 1)
    assert.deepEqual(await store.take('new'), record)
  })

  it('long-lived entry does not block expired ones', async () => {
    // A used id_token's mark lives up to an hour, in front of states that expire sooner.
    const store = new MemoryStateStore({ maxEntries: 3 })
    await store.save('id_token:mark', record, 3_600_000)
    await store.save('old-1', record, 20)
    await store.save('old-2', record, 20)
    await sleep(40)
    await store.save('new', record, 60_000)
    assert.equal(store.size, 2)
  })

  it('full store retries after the soonest expiry', async () => {
    const store = new MemoryStateStore({ maxEntries: 2 })
    await store.save('id_token:mark', record, 3_600_000)
    await store.save('state', record, 5_000)
    await assert.rejects(store.save('next', record, 60_000), (error: StoreUnavailableError) => {
      assert.ok(error instanceof StoreUnavailableError)
      assert.ok(error.retryAfterSeconds <= 5, `Retry-After ${error.retryAfterSeconds}`)
      return true
    })
  })

  it('Retry-After skips taken entries', async () => {
    const store = new MemoryStateStore({ maxEntries: 2 })
    await store.save('short', record, 2_000)
    await store.save('long-1', record, 600_000)
    await store.take('short')
    await store.save('long-2', record, 600_000)
    await assert.rejects(store.save('next', record, 60_000), (error: StoreUnavailableError) => {
      assert.ok(error instanceof StoreUnavailableError)
      assert.ok(error.retryAfterSeconds >= 599, `Retry-After ${error.retryAfterSeconds}, though the short entry is gone`)
      return true
    })
  })

  it('invalid TTL is rejected', async () => {
    const store = new MemoryStateStore()
    for (const ttlMs of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY]) {
      await assert.rejects(store.save(`ttl-${String(ttlMs)}`, record, ttlMs), TypeError, String(ttlMs))
    }
    assert.equal(store.size, 0)
  })

  it('many saves and takes keep it working', async () => {
    // Taken keys leave stale expiry items behind, which the store compacts.
    const store = new MemoryStateStore({ maxEntries: 10 })
    for (let round = 0; round < 5_000; round++) {
      await store.save(`key-${round}`, record, 60_000)
      assert.deepEqual(await store.take(`key-${round}`), record)
    }
    assert.equal(store.size, 0)
    for (let index = 0; index < 10; index++) await store.save(`fill-${index}`, record, 60_000)
    await assert.rejects(store.save('over', record, 60_000), StoreUnavailableError)
  })

  it('entries expire after a compaction', async () => {
    const realNow = Date.now
    let now = 1_000_000
    Date.now = () => now
    try {
      const store = new MemoryStateStore({ maxEntries: 3 })
      await store.save('live-1', record, 10_000)
      await store.save('live-2', record, 20_000)
      // Enough save and take pairs to compact the expiry heap several times.
      for (let round = 0; round < 3_000; round++) {
        await store.save(`churn-${round}`, record, 60_000)
        await store.take(`churn-${round}`)
      }
      await store.save('live-3', record, 30_000)
      await assert.rejects(store.save('over', record, 1_000), StoreUnavailableError)
      now += 30_001
      await store.save('after', record, 1_000)
      assert.equal(store.size, 1, 'every entry from before expired')
    } finally {
      Date.now = realNow
    }
  })

  it('key saved again after take keeps its new expiry', async () => {
    const realNow = Date.now
    let now = 1_000_000
    Date.now = () => now
    try {
      const store = new MemoryStateStore()
      await store.save('again', record, 1_000)
      await store.take('again')
      await store.save('again', { ...record, provider: 'second' }, 60_000)
      now += 5_000
      await store.save('trigger-eviction', record, 1_000)
      assert.equal((await store.take('again'))?.provider, 'second', 'the old expiry item did not remove the new entry')
    } finally {
      Date.now = realNow
    }
  })

  it('taken key is reported before a full store', async () => {
    const store = new MemoryStateStore({ maxEntries: 1 })
    await store.save('only', record, 60_000)
    await assert.rejects(store.save('only', record, 60_000), StoreKeyExistsError)
  })

  it('expired key can be saved again', async () => {
    const store = new MemoryStateStore()
    await store.save('again', record, 20)
    await sleep(40)
    await store.save('again', { ...record, provider: 'other' }, 60_000)
    assert.equal((await store.take('again'))?.provider, 'other')
  })

  it('invalid maxEntries is rejected', () => {
    assert.throws(() => new MemoryStateStore({ maxEntries: 0 }), /maxEntries/)
    assert.throws(() => new MemoryStateStore({ maxEntries: 1.5 }), /maxEntries/)
  })
})

describe('ExpiryHeap', () => {
  it('pops in expiry order', () => {
    const heap = new ExpiryHeap()
    const times = Array.from({ length: 1_000 }, (_, index) => (index * 7919) % 1_009)
    for (const [index, expiresAt] of times.entries()) heap.push({ key: `k${index}`, expiresAt })
    assert.equal(heap.size, 1_000)
    const popped: number[] = []
    // Bounded, so a pop that never empties the heap fails the test instead of hanging it.
    for (let step = 0; step < times.length; step++) popped.push(heap.pop()?.expiresAt ?? Number.NaN)
    assert.deepEqual(popped, [...times].sort((a, b) => a - b))
    assert.equal(heap.size, 0)
    assert.equal(heap.pop(), undefined)
  })

  it('rebuild keeps the order', () => {
    const heap = new ExpiryHeap()
    heap.push({ key: 'stale', expiresAt: 1 })
    heap.rebuild([{ key: 'b', expiresAt: 30 }, { key: 'a', expiresAt: 10 }, { key: 'c', expiresAt: 20 }])
    assert.deepEqual([heap.pop()?.key, heap.pop()?.key, heap.pop()?.key, heap.pop()], ['a', 'c', 'b', undefined])
  })
})

describe('state store unavailable', () => {
  let oidc: OidcServer

  before(async () => { oidc = await startOidcServer({ redirectUris: ['http://127.0.0.1:5173/auth/callback'] }) })
  after(async () => { await oidc.close() })

  it('full memory store answers 503 with Retry-After', async () => {
    const testApp = await buildApp({
      stateStore: new MemoryStateStore({ maxEntries: 1 }),
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } }
    })
    try {
      assert.equal((await testApp.begin()).statusCode, 200)
      const full = await testApp.begin()
      assert.equal(full.statusCode, 503)
      assert.deepEqual(full.json(), { detail: 'Sign-in is temporarily unavailable. Try again later.' })
      // The wait is until the oldest state expires: up to the 600-second TTL.
      const retryAfter = Number(full.headers['retry-after'])
      assert.ok(retryAfter > 590, `Retry-After ${retryAfter}`)
      assert.ok(retryAfter <= 600, `Retry-After ${retryAfter}`)
      assert.equal(full.headers['cache-control'], 'no-store')
    } finally {
      await testApp.app.close()
    }
  })

  it('stopped Redis answers 503 and recovers when it is back', async () => {
    const server = new RedisProcess(await freePort())
    await server.start()
    const client = new Redis(server.url)
    const testApp = await buildApp({
      stateStore: new RedisStateStore(client, { commandTimeoutMs: 500 }),
      providers: { local: { type: 'oidc', issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret } }
    })
    try {
      const before = await testApp.begin()
      assert.equal(before.statusCode, 200)
      const state = new URL(before.json().authorization_url).searchParams.get('state')

      await server.stop()
      // Long enough for ioredis to fail a reconnection attempt, as in a real outage.
      await sleep(600)
      const down = await testApp.begin()
      assert.equal(down.statusCode, 503)
      assert.deepEqual(down.json(), { detail: 'Sign-in is temporarily unavailable. Try again later.' })
      assert.ok(Number(down.headers['retry-after']) > 0)
      const downPost = await testApp.app.inject({ method: 'POST', url: '/o/local/', payload: { code: 'code', state } })
      assert.equal(downPost.statusCode, 503)
      assert.ok(testApp.logs.some((line) => line.level >= 50 && line.code === 'STATE_STORE_UNAVAILABLE'), 'the failed request is logged as an error')

      await server.start()
      let recovered = 0
      for (let attempt = 0; attempt < 100 && recovered !== 200; attempt++) {
        await sleep(100)
        recovered = (await testApp.begin()).statusCode
      }
      assert.equal(recovered, 200)
      assert.ok(testApp.logs.some((line) => line.level >= 50 && /Redis state store connection error/.test(line.msg)), 'the connection error is logged')
    } finally {
      client.disconnect()
      await testApp.app.close()
      await server.stop()
    }
  })
})
