/**
 * Benchmarks of the plugin against what users would pick instead, on loopback only. Every server
 * runs in its own process and autocannon runs in this one, so load and server do not share a
 * thread. Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS (default 5).
 *
 *   npm run bench
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpus } from 'node:os'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { freePort, RedisProcess } from '../test/support/redis.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const POST_SAMPLES = Number(process.env.BENCH_POST_SAMPLES ?? 400)
const REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback'
const KEY_PREFIX = 'social-auth-bench:'

interface Server {
  url: string
  child: ChildProcess
}

interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  /** Lowest and highest requests/s of the runs. */
  range: [number, number]
  /** Responses other than 2xx and connection errors, summed over the runs. */
  non2xx: number
  errors: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((left, right) => left - right)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Starts a benchmark server in its own process and waits for its "listening" line. */
async function startServer (name: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<Server> {
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', `bench/servers/${name}.ts`], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  for await (const line of lines) {
    if (line.startsWith('listening ')) return { url: line.slice('listening '.length), child }
  }
  throw new Error(`${name} exited before listening`)
}

async function stopServer (server: Server): Promise<void> {
  const exited = once(server.child, 'exit')
  server.child.kill('SIGTERM')
  await exited
}

/** A request other than a plain GET: better-auth's sign-in is a POST with a JSON body. */
interface RequestShape {
  method: 'POST'
  body: string
  headers: Record<string, string>
}

async function load (url: string, seconds: number, shape?: RequestShape): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, ...shape })
  const requestsPerSecond = result.requests.average
  return { requestsPerSecond, p50: result.latency.p50, p99: result.latency.p99, range: [requestsPerSecond, requestsPerSecond], non2xx: result.non2xx, errors: result.errors }
}

/** Runs a warm-up, then RUNS measured runs, and returns the medians. */
async function measure (url: string, shape?: RequestShape): Promise<LoadResult> {
  await load(url, 1, shape)
  const runs: LoadResult[] = []
  for (let run = 0; run < RUNS; run++) runs.push(await load(url, SECONDS, shape))
  const rates = runs.map((run) => run.requestsPerSecond)
  return {
    requestsPerSecond: median(rates),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    range: [Math.min(...rates), Math.max(...rates)],
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0)
  }
}

async function timeMs (work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint()
  await work()
  return Number(process.hrtime.bigint() - started) / 1e6
}

async function main (): Promise<void> {
  const redisServer = new RedisProcess(await freePort())
  await redisServer.start()
  const redis = new Redis(redisServer.url)
  const standIn = await startServer('provider-stand-in', {})
  const env = { REDIS_URL: redisServer.url, BENCH_ISSUER: standIn.url }
  const query = `?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`
  const rows: Array<[string, LoadResult]> = []

  try {
    // GET throughput and latency, each target alone on the machine.
    const betterAuthSignIn: RequestShape = {
      method: 'POST',
      body: JSON.stringify({ provider: 'github', callbackURL: '/' }),
      headers: { 'content-type': 'application/json' }
    }
    const targets: Array<[string, string, Record<string, string>, string, RequestShape | undefined]> = [
      ['(a) bare route, constant JSON', 'bare-json', {}, `/o/bench/${query}`, undefined],
      ['(b) bare route, nonce + PKCE + Redis SET', 'bare-redis-set', {}, `/o/bench/${query}`, undefined],
      ['(c) @fastify/oauth2 start redirect, PKCE', 'fastify-oauth2', {}, '/o/bench/', undefined],
      ['(d) better-auth social sign-in, SQLite', 'better-auth', {}, '/api/auth/sign-in/social', betterAuthSignIn],
      ['fastify-social-auth, RedisStateStore', 'social-auth', { BENCH_STORE: 'redis' }, `/o/bench/${query}`, undefined],
      ['fastify-social-auth, MemoryStateStore', 'social-auth', { BENCH_STORE: 'memory' }, `/o/bench/${query}`, undefined]
    ]
    for (const [label, name, extra, path, shape] of targets) {
      // Each target starts on an empty Redis, so keys left by the one before do not slow it.
      await redis.flushall()
      const server = await startServer(name, { ...env, ...extra })
      try {
        rows.push([label, await measure(server.url + path, shape)])
      } finally {
        await stopServer(server)
      }
    }

    // POST: the plugin's own time over the stand-in's, and @fastify/oauth2's code exchange for comparison.
    const plugin = await startServer('social-auth', { ...env, BENCH_STORE: 'redis' })
    const oauth2 = await startServer('fastify-oauth2', env)
    const postTimes: number[] = []
    const providerTimes: number[] = []
    const exchangeTimes: number[] = []
    const tokenTimes: number[] = []
    try {
      for (let sample = 0; sample < POST_SAMPLES + 20; sample++) {
        const begin = await (await fetch(`${plugin.url}/o/bench/${query}`)).json() as { authorization_url: string }
        const authorization = new URL(begin.authorization_url)
        const nonce = authorization.searchParams.get('nonce') ?? ''
        const state = authorization.searchParams.get('state') ?? ''
        const post = await timeMs(async () => {
          const response = await fetch(`${plugin.url}/o/bench/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: nonce, state }) })
          if (response.status !== 201) throw new Error(`POST returned ${response.status}: ${await response.text()}`)
        })
        const provider = await timeMs(async () => {
          await (await fetch(`${standIn.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${nonce}` })).text()
          await (await fetch(`${standIn.url}/userinfo`)).text()
        })
        const exchange = await timeMs(async () => {
          await (await fetch(`${oauth2.url}/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: nonce }) })).text()
        })
        const token = await timeMs(async () => {
          await (await fetch(`${standIn.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${nonce}` })).text()
        })
        // The first samples warm up connections and JIT, and are left out.
        if (sample < 20) continue
        postTimes.push(post)
        providerTimes.push(provider)
        exchangeTimes.push(exchange)
        tokenTimes.push(token)
      }
    } finally {
      await stopServer(plugin)
      await stopServer(oauth2)
    }

    // Memory per pending state: Redis's own count for one key, and heap growth of the memory store.
    const sampleServer = await startServer('social-auth', { ...env, BENCH_STORE: 'redis' })
    await fetch(`${sampleServer.url}/o/bench/${query}`)
    await stopServer(sampleServer)
    const [, keys] = await redis.scan('0', 'MATCH', `${KEY_PREFIX}state:*`, 'COUNT', 1000)
    const redisBytes = Number(await redis.call('MEMORY', 'USAGE', keys[0] as string, 'SAMPLES', '0'))
    const stateValue = await redis.get(keys[0] as string)

    const memoryServer = await startServer('social-auth', { ...env, BENCH_STORE: 'memory' }, ['--expose-gc'])
    let heapPerState = 0
    let thousand: LoadResult
    let million: LoadResult
    try {
      const before = await (await fetch(`${memoryServer.url}/bench/heap`)).json() as { heapUsed: number }
      await fetch(`${memoryServer.url}/bench/fill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 100_000 }) })
      const after = await (await fetch(`${memoryServer.url}/bench/heap`)).json() as { heapUsed: number }
      heapPerState = (after.heapUsed - before.heapUsed) / 100_000
      await redis.flushall()
      thousand = await measure(`${memoryServer.url}/o/bench/${query}`)
      await fetch(`${memoryServer.url}/bench/fill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 900_000 }) })
      million = await measure(`${memoryServer.url}/o/bench/${query}`)
    } finally {
      await stopServer(memoryServer)
    }

    // Redis with a million pending states: filled by pipeline, then GET measured again.
    for (let batch = 0; batch < 100; batch++) {
      const pipeline = redis.pipeline()
      for (let index = 0; index < 10_000; index++) pipeline.set(`${KEY_PREFIX}state:fill-${batch}-${index}`, stateValue ?? '', 'PX', 600_000)
      await pipeline.exec()
    }
    const filledServer = await startServer('social-auth', { ...env, BENCH_STORE: 'redis' })
    let redisMillion: LoadResult
    try {
      redisMillion = await measure(`${filledServer.url}/o/bench/${query}`)
    } finally {
      await stopServer(filledServer)
    }

    printReport(rows, {
      postMs: median(postTimes),
      providerMs: median(providerTimes),
      exchangeMs: median(exchangeTimes),
      tokenMs: median(tokenTimes),
      redisBytes,
      heapPerState,
      memoryThousand: thousand.requestsPerSecond,
      memoryMillion: million.requestsPerSecond,
      redisMillion: redisMillion.requestsPerSecond
    })
  } finally {
    redis.disconnect()
    await stopServer(standIn)
    await redisServer.stop()
  }
}

interface Extras {
  postMs: number
  providerMs: number
  exchangeMs: number
  tokenMs: number
  redisBytes: number
  heapPerState: number
  memoryThousand: number
  memoryMillion: number
  redisMillion: number
}

function printReport (rows: Array<[string, LoadResult]>, extras: Extras): void {
  const floor = rows[1]?.[1].requestsPerSecond ?? 1
  const oauth2 = rows[2]?.[1].requestsPerSecond ?? 1
  const redisVersion = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2] ?? 'unknown'
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}, Redis ${redisVersion}`,
    `Load: autocannon, ${CONNECTIONS} connections, ${RUNS} runs of ${SECONDS} s after a 1 s warm-up, medians`,
    '',
    '| GET target | requests/s | range of runs | p50 ms | p99 ms | non-2xx | errors | ratio to (b) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(([label, result]) => `| ${label} | ${Math.round(result.requestsPerSecond)} | ${Math.round(result.range[0])}–${Math.round(result.range[1])} | ${result.p50} | ${result.p99} | ${result.non2xx} | ${result.errors} | ${(result.requestsPerSecond / floor).toFixed(2)} |`),
    '',
    '| POST measure | median ms |',
    '| --- | ---: |',
    `| fastify-social-auth POST, total | ${extras.postMs.toFixed(2)} |`,
    `| stand-in token + userinfo, called directly | ${extras.providerMs.toFixed(2)} |`,
    `| fastify-social-auth added latency | ${(extras.postMs - extras.providerMs).toFixed(2)} |`,
    `| @fastify/oauth2 code exchange, total | ${extras.exchangeMs.toFixed(2)} |`,
    `| @fastify/oauth2 added latency (over one token call, ${extras.tokenMs.toFixed(2)} ms) | ${(extras.exchangeMs - extras.tokenMs).toFixed(2)} |`,
    '',
    '| memory measure | value |',
    '| --- | ---: |',
    `| bytes per pending state in Redis (MEMORY USAGE) | ${extras.redisBytes} |`,
    `| heap bytes per pending state in MemoryStateStore | ${Math.round(extras.heapPerState)} |`,
    `| GET requests/s, MemoryStateStore, 100k pending | ${Math.round(extras.memoryThousand)} |`,
    `| GET requests/s, MemoryStateStore, 1M pending | ${Math.round(extras.memoryMillion)} |`,
    `| GET requests/s, RedisStateStore, 1M pending | ${Math.round(extras.redisMillion)} |`,
    '',
    '| target | goal | measured | met |',
    '| --- | --- | --- | --- |',
    `| GET with Redis vs (b) | ≥ 0.90 | ${((rows[4]?.[1].requestsPerSecond ?? 0) / floor).toFixed(2)} | ${(rows[4]?.[1].requestsPerSecond ?? 0) / floor >= 0.9 ? 'yes' : 'no'} |`,
    `| GET with Redis vs (c) | ≥ 1.20 | ${((rows[4]?.[1].requestsPerSecond ?? 0) / oauth2).toFixed(2)} | ${(rows[4]?.[1].requestsPerSecond ?? 0) / oauth2 >= 1.2 ? 'yes' : 'no'} |`,
    `| POST added latency | ≤ 1 ms | ${(extras.postMs - extras.providerMs).toFixed(2)} ms | ${extras.postMs - extras.providerMs <= 1 ? 'yes' : 'no'} |`,
    `| bytes per state in Redis | ≤ 200 | ${extras.redisBytes} | ${extras.redisBytes <= 200 ? 'yes' : 'no'} |`
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

await main()
