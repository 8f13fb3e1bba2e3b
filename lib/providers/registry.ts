import { SocialAuthOptionsError } from '../errors.js'
import { checkRedirectUriList } from '../redirect-uri.js'
import { OidcProvider, type OidcProviderOptions, type ProviderRuntime } from './oidc.js'
import type { Provider } from './types.js'

export type ProviderOptions = OidcProviderOptions

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

/**
 * Builds the configured providers. The result is a Map, so a URL segment such as `__proto__` or
 * `constructor` can only match a provider that was configured under that name, and none can be.
 */
export function buildProviders (providers: unknown, globalRedirectUris: Set<string> | null, runtime: ProviderRuntime): Map<string, Provider> {
  if (providers === null || typeof providers !== 'object' || Array.isArray(providers)) {
    throw new SocialAuthOptionsError('providers must be an object that maps provider names to their options')
  }
  const entries = Object.entries(providers as Record<string, unknown>)
  if (entries.length === 0) throw new SocialAuthOptionsError('providers is empty; configure at least one provider')

  const registry = new Map<string, Provider>()
  for (const [name, options] of entries) {
    if (!PROVIDER_NAME.test(name)) {
      throw new SocialAuthOptionsError(`provider name "${name}" is invalid; use 1 to 64 lowercase letters, digits, "-" or "_"`)
    }
    if (options === null || typeof options !== 'object') throw new SocialAuthOptionsError(`providers.${name} must be an object`)
    const { type, redirectUris } = options as { type?: unknown, redirectUris?: unknown }
    const ownRedirectUris = redirectUris === undefined ? null : checkRedirectUriList(redirectUris, `providers.${name}.redirectUris`)
    if (ownRedirectUris === null && globalRedirectUris === null) {
      throw new SocialAuthOptionsError(`providers.${name} has no redirect URI; set redirectUris globally or on the provider`)
    }
    if (type === 'oidc') {
      registry.set(name, new OidcProvider(name, options as OidcProviderOptions, ownRedirectUris, runtime))
    } else {
      throw new SocialAuthOptionsError(`providers.${name}.type ${JSON.stringify(type)} is not supported; use "oidc" with an issuer`)
    }
  }
  return registry
}
