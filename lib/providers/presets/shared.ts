import fastifyOauth2 from '@fastify/oauth2'
import { ProviderError } from '../../errors.js'
import { isObject } from '../http.js'
import type { Endpoints, ProfileContext } from '../types.js'

/** @fastify/oauth2's provider presets, the source of endpoints wherever it has them. */
export const FASTIFY_PRESETS = fastifyOauth2 as unknown as Record<string, { authorizeHost?: string, authorizePath?: string, tokenHost: string, tokenPath?: string, revokePath?: string }>

/** Turns an @fastify/oauth2 preset into authorization, token and (where it has one) revocation endpoint URLs. */
export function fromFastifyPreset (name: string): Pick<Endpoints, 'authorizationEndpoint' | 'tokenEndpoint' | 'revocationEndpoint'> {
  const preset = FASTIFY_PRESETS[name]
  if (preset === undefined) throw new Error(`@fastify/oauth2 has no ${name}`)
  return {
    authorizationEndpoint: `${preset.authorizeHost ?? preset.tokenHost}${preset.authorizePath ?? '/oauth/authorize'}`,
    tokenEndpoint: `${preset.tokenHost}${preset.tokenPath ?? '/oauth/token'}`,
    revocationEndpoint: preset.revokePath === undefined ? null : `${preset.tokenHost}${preset.revokePath}`
  }
}

/** Endpoints with no OpenID parts. */
export function plainEndpoints (endpoints: Pick<Endpoints, 'authorizationEndpoint' | 'tokenEndpoint'> & Partial<Endpoints>): Endpoints {
  return { userinfoEndpoint: null, apiBaseUrl: null, jwksUri: null, issuer: null, ...endpoints }
}

/** Returns the API base URL, which a preset always sets. */
export function apiBase (context: Pick<ProfileContext, 'endpoints'>): string {
  const base = context.endpoints.apiBaseUrl
  if (base === null) throw new ProviderError('PROVIDER_MISCONFIGURED', 'provider has no API base URL')
  return base
}

/** GETs a JSON object from the provider's API with the access token as a Bearer token. */
export async function getProfileObject (
  context: Pick<ProfileContext, 'fetchJson'> & { tokens: Pick<ProfileContext['tokens'], 'accessToken'> },
  url: string,
  endpoint: string,
  headers: Record<string, string> = {}
): Promise<Record<string, unknown>> {
  const body = await context.fetchJson(url, { endpoint, headers: { authorization: `Bearer ${context.tokens.accessToken}`, ...headers } })
  if (!isObject(body)) throw new ProviderError('PROVIDER_BAD_RESPONSE', `${endpoint} endpoint returned JSON that is not an object`)
  return body
}

/** Reads a nested value, such as `picture.data.url`, from an untyped response. */
export function pick (value: unknown, path: string): unknown {
  let current = value
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}

/** Converts a provider user id (a string or a safe integer) to a string. */
export function idString (value: unknown): string {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  throw new ProviderError('PROVIDER_BAD_RESPONSE', 'profile has no usable user id')
}

/** Joins first and last name, or returns null when both are missing. */
export function joinName (first: string | null, last: string | null): string | null {
  const name = [first, last].filter((part) => part !== null).join(' ')
  return name === '' ? null : name
}
