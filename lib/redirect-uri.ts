import { SocialAuthOptionsError } from './errors.js'

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Returns true for the host names of the loopback interface, where plain http is acceptable. */
export function isLoopbackHost (hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname)
}

/**
 * Checks one configured redirect URI and returns it unchanged. The rules follow OAuth 2.0
 * Security Best Current Practice (RFC 9700) and RFC 8252: absolute, no fragment, no wildcard, no
 * userinfo, and https unless the host is loopback or the scheme is a native app's reversed domain.
 */
export function checkRedirectUri (uri: unknown, where: string): string {
  if (typeof uri !== 'string' || uri.length === 0) {
    throw new SocialAuthOptionsError(`${where} must be a non-empty string`)
  }
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new SocialAuthOptionsError(`${where} must be an absolute URL, got "${uri}"`)
  }
  if (uri.includes('#')) throw new SocialAuthOptionsError(`${where} must not contain a fragment, got "${uri}"`)
  if (uri.includes('*')) throw new SocialAuthOptionsError(`${where} must not contain a wildcard, got "${uri}"`)
  if (url.username !== '' || url.password !== '') {
    throw new SocialAuthOptionsError(`${where} must not contain userinfo, got "${uri}"`)
  }
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    if (!uri.startsWith(`${url.protocol}//`)) throw new SocialAuthOptionsError(`${where} must start with ${url.protocol}//, got "${uri}"`)
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      throw new SocialAuthOptionsError(`${where} must use https unless its host is loopback, got "${uri}"`)
    }
    return uri
  }
  // RFC 8252 section 7.1: a native app's private-use scheme is a reversed domain name, so it has a dot.
  if (!url.protocol.slice(0, -1).includes('.')) {
    throw new SocialAuthOptionsError(`${where} must use https, http on a loopback host, or a native app scheme such as com.example.app:, got "${uri}"`)
  }
  return uri
}

/** Checks a list of redirect URIs and returns it as a set for exact, character-for-character lookups. */
export function checkRedirectUriList (list: unknown, where: string): Set<string> {
  if (!Array.isArray(list) || list.length === 0) {
    throw new SocialAuthOptionsError(`${where} must be a non-empty array of redirect URIs`)
  }
  return new Set(list.map((uri, index) => checkRedirectUri(uri, `${where}[${index}]`)))
}
