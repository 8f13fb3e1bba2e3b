import { SocialAuthOptionsError } from '../errors.js'
import { ASYMMETRIC_ALGORITHMS } from '../id-token.js'
import { isLoopbackHost } from '../redirect-uri.js'
import type { EndpointOverrides } from './types.js'

/** True for https URLs, and for http ones on a loopback host (local development and tests). */
export function isSecureUrl (value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

export function checkUrl (value: unknown, where: string): string {
  if (typeof value === 'string' && value.includes('#')) {
    throw new SocialAuthOptionsError(`${where} must not contain a fragment, got ${JSON.stringify(value)}`)
  }
  if (typeof value !== 'string' || !isSecureUrl(value)) {
    throw new SocialAuthOptionsError(`${where} must be an https URL (http only on a loopback host), got ${JSON.stringify(value)}`)
  }
  return value.replace(/\/+$/, '')
}

export function requireString (value: unknown, where: string, hint = 'set it to the value the provider issued'): string {
  if (typeof value !== 'string' || value.length === 0) throw new SocialAuthOptionsError(`${where} is missing; ${hint}`)
  return value
}

export function optionalString (value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) throw new SocialAuthOptionsError(`${where} must be a non-empty string`)
  return value
}

export function optionalBoolean (value: unknown, where: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new SocialAuthOptionsError(`${where} must be a boolean`)
  return value
}

/** Checks scope tokens against the RFC 6749 section 3.3 grammar. */
export function checkScopes (scopes: unknown, where: string): string[] {
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))) {
    throw new SocialAuthOptionsError(`${where} must be an array of scope tokens (RFC 6749 section 3.3)`)
  }
  return scopes as string[]
}

// Parameters that the plugin sets itself and that `authorizationParams` must not replace.
const PROTOCOL_PARAMS = new Set([
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_mode', 'request', 'request_uri'
])

export function checkAuthorizationParams (params: unknown, where: string): Record<string, string> {
  if (params === undefined) return {}
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new SocialAuthOptionsError(`${where} must be an object of strings`)
  }
  const checked: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    if (PROTOCOL_PARAMS.has(key)) throw new SocialAuthOptionsError(`${where}.${key} is set by the plugin and cannot be overridden`)
    if (typeof value !== 'string' || !value.isWellFormed() || !key.isWellFormed()) {
      throw new SocialAuthOptionsError(`${where}.${key} must be a well-formed string`)
    }
    checked[key] = value
  }
  return checked
}

const ENDPOINT_FIELDS = ['authorizationEndpoint', 'tokenEndpoint', 'userinfoEndpoint', 'apiBaseUrl', 'jwksUri', 'issuer', 'revocationEndpoint'] as const

export function checkEndpointOverrides (value: unknown, where: string): EndpointOverrides {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SocialAuthOptionsError(`${where} must be an object of URLs`)
  const overrides: EndpointOverrides = {}
  for (const [key, url] of Object.entries(value)) {
    if (!(ENDPOINT_FIELDS as readonly string[]).includes(key)) {
      throw new SocialAuthOptionsError(`${where}.${key} is not an endpoint; use ${ENDPOINT_FIELDS.join(', ')}`)
    }
    // Issuers are compared exactly, so they keep any trailing slash.
    overrides[key as typeof ENDPOINT_FIELDS[number]] = key === 'issuer' ? checkIssuer(url, `${where}.${key}`) : checkUrl(url, `${where}.${key}`)
  }
  return overrides
}

export function checkIssuer (value: unknown, where: string): string {
  checkUrl(value, where)
  return value as string
}

export function checkAlgorithms (value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0) throw new SocialAuthOptionsError(`${where} must be a non-empty array`)
  for (const algorithm of value) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new SocialAuthOptionsError(`${where}: "${String(algorithm)}" is not allowed; use asymmetric algorithms among ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
    }
  }
  return value as string[]
}

/** Rejects option names the provider does not know, which are usually typos. */
export function rejectUnknownOptions (options: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new SocialAuthOptionsError(`${where}.${key} is not a known option here; known options: ${known.join(', ')}`)
  }
}
