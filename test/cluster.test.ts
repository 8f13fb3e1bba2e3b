import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Cluster } from 'ioredis'
import { RedisStateStore } from '../lib/index.js'
import { buildApp, type TestApp } from './support/app.js'
import { RedisCluster } from './support/redis-cluster.js'
import { StubProvider } from './support/stub-provider.js'

const LOGINS = 60

describe('RedisStateStore on a Redis Cluster', () => {
  const cluster = new RedisCluster()
  const stub = new StubProvider()
  const clients: Cluster[] = []
  let first: TestApp
  let second: TestApp

  /** Starts an app instance with its own Cluster client, as each process behind a load balancer has. */
  async function instance (): Promise<TestApp> {
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), {
      clusterRetryStrategy: () => 200,
      redisOptions: { maxRetriesPerRequest: 1 }
    })
    clients.push(client)
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve)
      client.once('error', reject)
    })
    return await buildApp({
      stateStore: new RedisStateStore(client, { keyPrefix: 'cluster-test:', commandTimeoutMs: 500 }),
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } }
    })
  }

  before(async () => {
    await cluster.start()
    await stub.start()
    stub.userinfoHandler = () => ({ sub: 'stub-user-1' })
    first = await instance()
    second = await instance()
  })

  after(async () => {
    await first.app.close()
    await second.app.close()
    for (const client of clients) client.disconnect()
    await stub.close()
    await cluster.close()
  })

  /** Starts a sign-in on one instance and completes it on another. */
  async function crossInstanceLogin (begin: TestApp, complete: TestApp): Promise<number> {
    const response = await begin.begin('stub')
    if (response.statusCode !== 200) return response.statusCode
    const url = new URL(response.json().authorization_url)
    const idToken = await stub.idToken({ nonce: url.searchParams.get('nonce') ?? '' })
    stub.tokenHandler = () => ({ access_token: 'a', token_type: 'Bearer', id_token: idToken })
    const completed = await complete.app.inject({ method: 'POST', url: '/o/stub/', payload: { code: 'c', state: url.searchParams.get('state') } })
    return completed.statusCode
  }

  it('logins begun on one instance complete on the other', async () => {
    const statuses: number[] = []
    for (let index = 0; index < LOGINS; index++) {
      statuses.push(index % 2 === 0 ? await crossInstanceLogin(first, second) : await crossInstanceLogin(second, first))
    }
    assert.deepEqual(statuses, Array.from({ length: LOGINS }, () => 201))
  })

  it('a stopped master gives 503 for its slots, then recovers', async () => {
    const stopped = cluster.ports[0] as number
    await cluster.stopNode(stopped)

    const during: number[] = []
    for (let index = 0; index < 30; index++) during.push((await first.begin('stub')).statusCode)
    assert.ok(during.every((status) => status === 200 || status === 503), `statuses ${JSON.stringify(during)}`)
    assert.ok(during.includes(503), 'states that hash to the stopped master get 503')
    assert.ok(during.includes(200), 'states on the other masters still work')

    await cluster.startNode(stopped)
    await cluster.waitUntilHealthy()
    let recovered = false
    for (let attempt = 0; attempt < 50 && !recovered; attempt++) {
      const results = await Promise.all(Array.from({ length: 10 }, async () => (await first.begin('stub')).statusCode))
      recovered = results.every((status) => status === 200)
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.ok(recovered, 'every slot serves again once the master is back')
    assert.equal(await crossInstanceLogin(first, second), 201)
  })
})
