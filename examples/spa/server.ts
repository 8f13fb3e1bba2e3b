/**
 * A tiny browser front end for the plugin, served by the same Fastify app as the API, against the
 * demo's local OpenID provider. Nothing is built: the pages are plain HTML and modules.
 *
 *   npm run example:spa        then open the printed URL
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import socialAuth, { serializeRequestWithoutQuery } from '../../lib/index.js'
import { startOidcServer } from '../demo/local-provider.js'

const PUBLIC_FILES: Record<string, string> = {
  '/': 'index.html',
  '/callback.html': 'callback.html',
  '/style.css': 'style.css',
  '/binding.js': 'binding.js',
  '/sign-in.js': 'sign-in.js',
  '/callback.js': 'callback.js'
}
const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', css: 'text/css', js: 'text/javascript' }

export interface SpaExample {
  /** Address of the front end and the API. */
  url: string
  providerUrl: string
  app: FastifyInstance
  close: () => Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address !== null ? address.port : 0
}

/** Starts the local provider and the app that serves the pages and the plugin's routes. */
export async function startSpaExample (port?: number): Promise<SpaExample> {
  const appPort = port ?? await freePort()
  const url = `http://127.0.0.1:${appPort}`
  const provider = await startOidcServer({ redirectUris: [`${url}/callback.html`] })

  // The callback page's URL carries the code and the state, so no log line keeps query strings.
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn', serializers: { req: serializeRequestWithoutQuery } } })
  await app.register(socialAuth, {
    prefix: '/auth',
    redirectUris: [`${url}/callback.html`],
    providers: { local: { type: 'oidc', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret } },
    resolveUser: async (identity) => ({ id: identity.uid, email: identity.email, username: identity.username }),
    jwt: { secret: 'spa-example-secret-replace-me-0123456789', expiresIn: 900 },
    // The pages send a binding challenge and forward iss, so both defenses can be on.
    binding: { required: true },
    requireIssuerParameter: true
  })
  app.get('/config.json', async () => ({ providers: app.socialAuth.providers }))
  for (const [path, file] of Object.entries(PUBLIC_FILES)) {
    app.get(path, async (_request, reply) => {
      const content = await readFile(fileURLToPath(new URL(`./public/${file}`, import.meta.url)))
      return await reply.type(CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream').send(content)
    })
  }
  try {
    await app.listen({ port: appPort, host: '127.0.0.1' })
  } catch (error) {
    await provider.close()
    throw error
  }
  return {
    url,
    providerUrl: provider.issuer,
    app,
    close: async () => {
      await app.close()
      await provider.close()
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 5173 : Number(process.env.PORT)
  const example = await startSpaExample(port)
  console.log(`Open ${example.url} and sign in with any name at the local provider (${example.providerUrl}). Ctrl+C stops.`)
}
