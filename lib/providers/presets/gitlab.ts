import { checkUrl } from '../options.js'
import { oidcProfile } from '../oidc.js'
import type { Preset } from '../preset.js'
import { fromFastifyPreset } from './shared.js'

/** GitLab.com, or a self-managed GitLab with `baseUrl`, through OpenID Connect. */
export const gitlab: Preset = {
  id: 'gitlab',
  options: ['baseUrl'],
  define: (options, where) => {
    const baseUrl = options.baseUrl === undefined ? 'https://gitlab.com' : checkUrl(options.baseUrl, `${where}.baseUrl`)
    const endpoints = baseUrl === 'https://gitlab.com'
      ? fromFastifyPreset('GITLAB_CONFIGURATION')
      : { authorizationEndpoint: `${baseUrl}/oauth/authorize`, tokenEndpoint: `${baseUrl}/oauth/token` }
    return {
      endpoints: {
        ...endpoints,
        userinfoEndpoint: `${baseUrl}/oauth/userinfo`,
        jwksUri: `${baseUrl}/oauth/discovery/keys`,
        issuer: baseUrl,
        apiBaseUrl: `${baseUrl}/api/v4`
      },
      idToken: {},
      pkce: true,
      scope: ['email', 'profile'],
      requiredScope: ['openid'],
      tokenEndpointAuthMethod: 'client_secret_post',
      profile: oidcProfile
    }
  }
}
