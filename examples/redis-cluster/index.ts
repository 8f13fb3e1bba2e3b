/**
 * Two app instances that share their sign-in states through a Redis Cluster: any instance completes
 * a sign-in that another began. Start the cluster first, then the instances:
 *
 *   bash examples/redis-cluster/start-cluster.sh
 *   PORT=3001 node --import tsx examples/redis-cluster/index.ts
 *   PORT=3002 node --import tsx examples/redis-cluster/index.ts
 *
 * With Sentinel instead, give ioredis the sentinels and the master's name:
 *   new Redis({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' })
 */
import Fastify from 'fastify'
import { Cluster } from 'ioredis'
import socialAuth, { RedisStateStore } from '../../lib/index.js'

const nodes = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003').split(',').map((node) => {
  const [host, port] = node.split(':')
  return { host: host ?? '127.0.0.1', port: Number(port) }
})

// Every state operation touches one key, so the store needs no hash tags on a cluster.
const cluster = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } })

const app = Fastify({ logger: true })
app.addHook('onClose', async () => { await cluster.quit() })

await app.register(socialAuth, {
  prefix: '/auth',
  redirectUris: ['http://127.0.0.1:5173/auth/callback'],
  stateStore: new RedisStateStore(cluster),
  providers: {
    corp: {
      type: 'oidc',
      issuer: process.env.OIDC_ISSUER ?? 'http://127.0.0.1:9400',
      clientId: process.env.OIDC_CLIENT_ID ?? 'social-auth-demo',
      clientSecret: process.env.OIDC_CLIENT_SECRET ?? 'social-auth-demo-secret-0123456789abcdef'
    }
  },
  resolveUser: async (identity) => ({ id: `${identity.provider}:${identity.uid}`, email: identity.email }),
  jwt: { secret: process.env.JWT_SECRET ?? 'cluster-example-secret-replace-me-0123456789' }
})

await app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' })
