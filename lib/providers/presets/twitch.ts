import { oidcProfile } from '../oidc.js'
import type { Preset } from '../preset.js'
import { fromFastifyPreset } from './shared.js'

// Twitch adds email and profile claims only when the request names them.
const CLAIMS = JSON.stringify({
  id_token: { email: null, email_verified: null, preferred_username: null, picture: null },
  userinfo: { email: null, email_verified: null, preferred_username: null, picture: null }
})

/** Twitch, through OpenID Connect. */
export const twitch: Preset = {
  id: 'twitch',
  define: () => ({
    endpoints: {
      ...fromFastifyPreset('TWITCH_CONFIGURATION'),
      userinfoEndpoint: 'https://id.twitch.tv/oauth2/userinfo',
      jwksUri: 'https://id.twitch.tv/oauth2/keys',
      issuer: 'https://id.twitch.tv/oauth2',
      apiBaseUrl: 'https://api.twitch.tv/helix'
    },
    idToken: {},
    pkce: false,
    scope: ['user:read:email'],
    requiredScope: ['openid'],
    tokenEndpointAuthMethod: 'client_secret_post',
    authorizationParams: { claims: CLAIMS },
    profile: oidcProfile
  })
}
