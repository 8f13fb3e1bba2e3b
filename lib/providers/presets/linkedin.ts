import { oidcProfile } from '../oidc.js'
import type { Preset } from '../preset.js'
import { fromFastifyPreset } from './shared.js'

/** Sign In with LinkedIn using OpenID Connect. The issuer has been `https://www.linkedin.com/oauth` since 2024. */
export const linkedin: Preset = {
  id: 'linkedin',
  aliases: ['linkedin-openidconnect'],
  define: () => ({
    endpoints: {
      ...fromFastifyPreset('LINKEDIN_CONFIGURATION'),
      userinfoEndpoint: 'https://api.linkedin.com/v2/userinfo',
      jwksUri: 'https://www.linkedin.com/oauth/openid/jwks',
      issuer: 'https://www.linkedin.com/oauth',
      apiBaseUrl: null
    },
    // NOTE: whether LinkedIn echoes the nonce in its id_tokens was not checked against the live
    // service. The nonce check stays on, as OpenID Connect requires.
    idToken: {},
    pkce: false,
    scope: ['email', 'profile'],
    requiredScope: ['openid'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: oidcProfile
  })
}
