import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import socialAuth, { type SocialAuthOptions } from '../../lib/index.js'

export const REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback'
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789'

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A Fastify app with the plugin, and every log line it writes, for the tests to read. */
export interface TestApp {
  app: FastifyInstance
  logs: LogLine[]
  begin: (provider?: string, redirectUri?: string) => Promise<LightMyRequestResponse>
}

/** Builds an app whose users are the identities themselves, keyed by provider and uid. */
export async function buildApp (options: Partial<SocialAuthOptions> & Pick<SocialAuthOptions, 'providers'>): Promise<TestApp> {
  const logs: LogLine[] = []
  const app = Fastify({
    logger: {
      level: 'debug',
      stream: { write: (line: string) => { logs.push(JSON.parse(line) as LogLine) } }
    }
  })
  await app.register(socialAuth, {
    redirectUris: [REDIRECT_URI],
    resolveUser: async (identity) => ({ id: `${identity.provider}:${identity.uid}`, email: identity.email, username: identity.username, secretColumn: 'never-serialized' }),
    jwt: { secret: JWT_SECRET },
    ...options
  })
  await app.ready()
  return {
    app,
    logs,
    begin: async (provider = 'local', redirectUri = REDIRECT_URI) => await app.inject({
      method: 'GET',
      url: `/o/${provider}/`,
      query: { redirect_uri: redirectUri }
    })
  }
}
