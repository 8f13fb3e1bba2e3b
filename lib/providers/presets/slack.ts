import { oidcProfile } from '../oidc.js'
import type { Preset } from '../preset.js'

/**
 * Sign in with Slack, through OpenID Connect. Slack returns errors as `{ok: false, error}` with
 * HTTP 200. At the token endpoint the `error` field marks them, and a userinfo error has no `sub`,
 * so the subject check rejects it.
 */
export const slack: Preset = {
  id: 'slack',
  aliases: ['slack-openidconnect'],
  define: () => ({
    endpoints: {
      authorizationEndpoint: 'https://slack.com/openid/connect/authorize',
      tokenEndpoint: 'https://slack.com/api/openid.connect.token',
      userinfoEndpoint: 'https://slack.com/api/openid.connect.userInfo',
      jwksUri: 'https://slack.com/openid/connect/keys',
      issuer: 'https://slack.com',
      apiBaseUrl: null
    },
    idToken: {},
    pkce: false,
    scope: ['email', 'profile'],
    requiredScope: ['openid'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: oidcProfile
  })
}
