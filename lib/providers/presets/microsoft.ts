import { SocialAuthOptionsError } from '../../errors.js'
import { fetchUserinfo, isTrue, mapOidcClaims } from '../oidc.js'
import { checkUrl } from '../options.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'

// Tenants that stand for many tenants: their id_tokens name the user's own tenant in `iss`.
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers'])
const TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * Microsoft identity platform (Entra ID and personal accounts) through OpenID Connect v2.0.
 * `tenant` is `common` (default), `organizations`, `consumers`, a tenant id or a tenant domain;
 * `authority` changes the cloud, such as `https://login.microsoftonline.us`.
 */
export const microsoft: Preset = {
  id: 'microsoft',
  aliases: ['microsoft-graph', 'azuread-oauth2'],
  options: ['tenant', 'authority'],
  define: (options, where) => {
    const tenant = options.tenant ?? 'common'
    if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
      throw new SocialAuthOptionsError(`${where}.tenant must be common, organizations, consumers, a tenant id or a tenant domain`)
    }
    const authority = options.authority === undefined ? 'https://login.microsoftonline.com' : checkUrl(options.authority, `${where}.authority`)
    const multiTenant = MULTI_TENANT.has(tenant)
    return {
      endpoints: {
        authorizationEndpoint: `${authority}/${tenant}/oauth2/v2.0/authorize`,
        tokenEndpoint: `${authority}/${tenant}/oauth2/v2.0/token`,
        jwksUri: `${authority}/${tenant}/discovery/v2.0/keys`,
        userinfoEndpoint: 'https://graph.microsoft.com/oidc/userinfo',
        apiBaseUrl: 'https://graph.microsoft.com',
        // A multi-tenant endpoint has no single issuer, so RFC 9207 checks have nothing to compare.
        issuer: multiTenant ? null : `${authority}/${tenant}/v2.0`
      },
      idToken: multiTenant
        ? {
            // Only here is the issuer a template: https://login.microsoftonline.com/{tenantid}/v2.0,
            // whose tenant id must be the token's own `tid` claim.
            issuerMatches: (issuer, claims) =>
              typeof claims.tid === 'string' && TENANT_ID.test(claims.tid) && issuer === `${authority}/${claims.tid}/v2.0`
          }
        : {},
      pkce: true,
      scope: ['email', 'profile'],
      requiredScope: ['openid'],
      tokenEndpointAuthMethod: 'client_secret_post',
      profile: microsoftProfile
    }
  }
}

async function microsoftProfile (context: ProfileContext): Promise<ProfileFields> {
  const claims = context.claims ?? {}
  const fields = mapOidcClaims(claims, await fetchUserinfo(context))
  // Microsoft sends no email_verified. Its optional xms_edov claim is true when the email domain's owner is verified.
  return { ...fields, emailVerified: fields.email !== null && (isTrue(fields.raw.email_verified) || isTrue(fields.raw.xms_edov)) }
}
