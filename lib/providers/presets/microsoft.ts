import { ProviderError, SocialAuthOptionsError } from '../../errors.js'
import { fetchJsonObject } from '../http.js'
import type { ResolvedEndpoints } from '../oauth2-provider.js'
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
  define: (options, where, runtime) => {
    const configured = options.tenant ?? 'common'
    if (typeof configured !== 'string' || !TENANT.test(configured)) {
      throw new SocialAuthOptionsError(`${where}.tenant must be common, organizations, consumers, a tenant id or a tenant domain`)
    }
    // Tenant names, ids and domains are case-insensitive, and issuers carry ids in lower case.
    const tenant = configured.toLowerCase()
    const authority = options.authority === undefined ? 'https://login.microsoftonline.com' : checkUrl(options.authority, `${where}.authority`)
    const multiTenant = MULTI_TENANT.has(tenant)
    const endpoints = {
      authorizationEndpoint: `${authority}/${tenant}/oauth2/v2.0/authorize`,
      tokenEndpoint: `${authority}/${tenant}/oauth2/v2.0/token`,
      jwksUri: `${authority}/${tenant}/discovery/v2.0/keys`,
      userinfoEndpoint: 'https://graph.microsoft.com/oidc/userinfo',
      apiBaseUrl: 'https://graph.microsoft.com',
      // A multi-tenant endpoint has no single issuer, so RFC 9207 checks have nothing to compare.
      issuer: multiTenant ? null : `${authority}/${tenant}/v2.0`
    }
    return {
      endpoints,
      // A tenant given by domain signs with its id in `iss`, which only its metadata names.
      discover: multiTenant || TENANT_ID.test(tenant)
        ? undefined
        : async (overrides) => await discoverTenantIssuer({ ...endpoints, ...overrides }, authority, tenant, runtime.timeoutMs, overrides.issuer !== undefined),
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

async function discoverTenantIssuer (endpoints: ResolvedEndpoints, authority: string, tenant: string, timeoutMs: number, issuerOverridden: boolean): Promise<ResolvedEndpoints> {
  if (issuerOverridden) return endpoints
  const metadata = await fetchJsonObject(`${authority}/${tenant}/v2.0/.well-known/openid-configuration`, { endpoint: 'discovery', timeoutMs })
  const issuer = metadata.issuer
  const match = typeof issuer === 'string' ? /^(.*)\/([0-9a-f-]{36})\/v2\.0$/.exec(issuer) : null
  if (match === null || match[1] !== authority || !TENANT_ID.test(match[2] as string)) {
    throw new ProviderError('PROVIDER_MISCONFIGURED', `tenant ${tenant} has no issuer of the form ${authority}/{tenant-id}/v2.0 in its metadata`)
  }
  return { ...endpoints, issuer: issuer as string }
}

async function microsoftProfile (context: ProfileContext): Promise<ProfileFields> {
  const claims = context.claims ?? {}
  const userinfo = await fetchUserinfo(context)
  const fields = mapOidcClaims(claims, userinfo)
  // Microsoft sends no email_verified. Its optional id_token claim xms_edov is true when the email
  // domain's owner is verified, and it vouches only for the id_token's own email.
  const fromUserinfo = typeof userinfo.email === 'string'
  const source = fromUserinfo ? userinfo : claims
  const domainVerified = isTrue(claims.xms_edov) && (!fromUserinfo || userinfo.email === claims.email)
  return { ...fields, emailVerified: fields.email !== null && (isTrue(source.email_verified) || domainVerified) }
}
