import { SocialAuthOptionsError } from './errors.js'
import { rejectUnknownOptions } from './providers/options.js'

const PLUGIN_OPTIONS = [
  'prefix', 'providers', 'redirectUris', 'stateStore', 'stateTtlSeconds', 'resolveUser', 'accounts', 'issueToken', 'tokenStrategy', 'jwt', 'serializeUser',
  'providerTimeoutMs', 'clockToleranceSeconds', 'discoveryRetrySeconds', 'jwksCooldownSeconds', 'binding', 'requireIssuerParameter', 'routeConfig',
  // Fastify passes its own registration options along with the plugin's.
  'logLevel', 'logSerializers'
]

/** Rejects misspelt option names, which JavaScript callers would otherwise not notice. */
export function rejectUnknownPluginOptions (options: Record<string, unknown>): void {
  rejectUnknownOptions(options, PLUGIN_OPTIONS, 'options')
}

export function positiveNumber (value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SocialAuthOptionsError(`${name} must be a positive number, got ${describe(value)}`)
  }
  return value
}

export function nonNegativeNumber (value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SocialAuthOptionsError(`${name} must be zero or a positive number, got ${describe(value)}`)
  }
  return value
}

/** Names a value and its type, so `"600"` and `600` read differently in an error. */
function describe (value: unknown): string {
  return `${typeof value} ${JSON.stringify(value) ?? String(value)}`
}
