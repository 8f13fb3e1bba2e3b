import { SocialAuthOptionsError } from '../errors.js'
import type { OAuth2ProviderOptions } from './generic-oauth2.js'
import { OAuth2Provider, type ProviderRuntime } from './oauth2-provider.js'
import type { OidcProviderOptions } from './oidc.js'
import { buildSpec, type CommonProviderOptions } from './preset.js'
import { findPreset, PRESETS } from './presets/index.js'
import type { Provider } from './types.js'

/** Ids of the named presets. */
export type PresetId =
  | 'apple' | 'atlassian' | 'bitbucket' | 'discord' | 'dropbox' | 'epicgames' | 'facebook' | 'github' | 'gitlab' | 'google'
  | 'linkedin' | 'microsoft' | 'notion' | 'reddit' | 'slack' | 'spotify' | 'twitch' | 'twitter' | 'vatsim' | 'vkontakte'
  | 'yandex' | 'zoom'

/** Options of a named preset. Each preset accepts only the extra options it documents. */
export interface PresetProviderOptions extends CommonProviderOptions {
  type?: PresetId | (string & Record<never, never>)
  /** GitHub Enterprise Server or self-managed GitLab: the server's URL. */
  baseUrl?: string
  /** Microsoft: `common` (default), `organizations`, `consumers`, a tenant id or a tenant domain. */
  tenant?: string
  /** Microsoft: the cloud's login host. Default `https://login.microsoftonline.com`. */
  authority?: string
  /** Apple: developer team id. */
  teamId?: string
  /** Apple: id of the Sign in with Apple key. */
  keyId?: string
  /** Apple: the .p8 key file's contents (PEM). */
  privateKey?: string
  /** Facebook: Graph API version. Default `v23.0`. */
  graphApiVersion?: string
  /** VATSIM: use the development server. */
  sandbox?: boolean
}

export type ProviderOptions = OidcProviderOptions | OAuth2ProviderOptions | PresetProviderOptions

const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

/**
 * Builds the configured providers, by URL name. A provider configured under a preset's id or one of
 * its python-social-auth aliases is also served under the others, unless another entry takes that
 * name. The result is a Map, so a URL segment such as `__proto__` or `constructor` matches only
 * a provider configured under that name, and none can be.
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
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new SocialAuthOptionsError(`providers.${name} must be an object`)
    const type = (options as { type?: unknown }).type ?? name
    const preset = typeof type === 'string' ? findPreset(type) : undefined
    if (preset === undefined) {
      throw new SocialAuthOptionsError(
        `providers.${name}: type ${JSON.stringify(type)} is not supported; set type to one of ${[...PRESETS.keys()].join(', ')}`
      )
    }
    registry.set(name, new OAuth2Provider(buildSpec(name, preset, options as Record<string, unknown>, globalRedirectUris, runtime), runtime))
  }

  for (const [name, provider] of [...registry]) {
    const preset = PRESETS.get(provider.type)
    const names = [preset?.id ?? '', ...(preset?.aliases ?? [])]
    if (!names.includes(name)) continue
    for (const alias of names) {
      if (!registry.has(alias)) registry.set(alias, provider)
    }
  }
  return registry
}
