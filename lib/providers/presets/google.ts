import { oidcProfile } from '../oidc.js'
import type { Preset } from '../preset.js'
import { fromFastifyPreset } from './shared.js'

/** Google: OpenID Connect with static endpoints. Google's id_tokens use either issuer form. */
export const google: Preset = {
  id: 'google',
  aliases: ['google-oauth2'],
  define: () => ({
    endpoints: {
      ...fromFastifyPreset('GOOGLE_CONFIGURATION'),
      userinfoEndpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
      jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
      issuer: 'https://accounts.google.com',
      apiBaseUrl: null,
      revocationEndpoint: 'https://oauth2.googleapis.com/revoke'
    },
    idToken: { issuers: ['https://accounts.google.com', 'accounts.google.com'] },
    pkce: true,
    scope: ['email', 'profile'],
    requiredScope: ['openid'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: oidcProfile
  })
}
