import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './redis.js'

/**
 * A private Redis Cluster of three masters on loopback ports, for tests that share states between
 * app instances and stop a master. Its files live in a temporary folder removed by `close`.
 */
export class RedisCluster {
  readonly ports: number[] = []
  readonly #folder = mkdtempSync(join(tmpdir(), 'social-auth-cluster-'))
  readonly #children = new Map<number, ChildProcess>()

  async start (): Promise<void> {
    for (let index = 0; index < 3; index++) this.ports.push(await freePort())
    for (const port of this.ports) await this.startNode(port)
    const created = spawnSync('redis-cli', [
      '--cluster', 'create', ...this.ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'
    ], { encoding: 'utf8', timeout: 30_000 })
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout} ${created.stderr}`)
    await this.waitUntilHealthy()
  }

  /** Starts (or restarts) one node with its cluster configuration file, so it rejoins with its slots. */
  async startNode (port: number): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000', '--dir', this.#folder,
      // Without replicas, the other masters keep serving their own slots while one is down.
      '--cluster-require-full-coverage', 'no'
    ], { stdio: 'ignore' })
    this.#children.set(port, child)
    await waitForPing(port)
  }

  async stopNode (port: number): Promise<void> {
    const child = this.#children.get(port)
    if (child === undefined || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** Waits until every node reports `cluster_state:ok`. */
  async waitUntilHealthy (timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await Promise.all(this.ports.map(async (port) => await clusterState(port)))
      if (states.every((state) => state === 'ok')) return
      if (Date.now() > deadline) throw new Error(`cluster not healthy: ${states.join(', ')}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  async close (): Promise<void> {
    for (const port of this.ports) await this.stopNode(port)
    rmSync(this.#folder, { recursive: true, force: true })
  }
}

async function clusterState (port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    await client.connect()
    const info = await client.call('CLUSTER', 'INFO') as string
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'
  } catch {
    return 'down'
  } finally {
    client.disconnect()
  }
}

async function waitForPing (port: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await clusterState(port) !== 'down') return
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
