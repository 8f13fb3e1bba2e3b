import { createPrivateKey, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { SocialAuthOptionsError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import { isTrue } from '../oidc.js'
import { requireString } from '../options.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { fromFastifyPreset, joinName } from './shared.js'

// Apple accepts client secrets valid for up to six months. A day keeps a leaked one short-lived.
const SECRET_LIFETIME_SECONDS = 24 * 60 * 60
const SECRET_RENEW_BEFORE_SECONDS = 60 * 60

/**
 * Sign in with Apple. The client secret is an ES256 JWT signed with the key from Apple's developer
 * console (`teamId`, `keyId`, `privateKey`), built here and renewed an hour before it expires.
 * Apple sends the user's name only on the first sign-in, in a `user` field that the front end
 * forwards on POST.
 */
export const apple: Preset = {
  id: 'apple',
  aliases: ['apple-id'],
  options: ['teamId', 'keyId', 'privateKey'],
  needsClientSecret: false,
  define: (options, where) => {
    const clientId = requireString(options.clientId, `${where}.clientId`, 'set it to the Services ID')
    const teamId = requireString(options.teamId, `${where}.teamId`, 'set it to the Apple developer team id')
    const keyId = requireString(options.keyId, `${where}.keyId`, 'set it to the id of the Sign in with Apple key')
    const privateKey = loadPrivateKey(options.privateKey, `${where}.privateKey`)
    return {
      endpoints: {
        ...fromFastifyPreset('APPLE_CONFIGURATION'),
        jwksUri: 'https://appleid.apple.com/auth/keys',
        issuer: 'https://appleid.apple.com',
        userinfoEndpoint: null,
        apiBaseUrl: null
      },
      idToken: {},
      // Apple documents no PKCE support for the web flow.
      pkce: false,
      scope: ['name', 'email'],
      tokenEndpointAuthMethod: 'client_secret_post',
      // Apple refuses the name and email scopes unless the response is posted to the redirect URI.
      scopeAuthorizationParams: (scope): Record<string, string> => scope.includes('name') || scope.includes('email') ? { response_mode: 'form_post' } : {},
      clientSecret: createSecretSigner({ clientId, teamId, keyId, privateKey }),
      profile: appleProfile
    }
  }
}

function loadPrivateKey (value: unknown, where: string): KeyObject {
  const pem = requireString(value, where, 'set it to the contents of the .p8 key file')
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    throw new SocialAuthOptionsError(`${where} is not a PEM private key; use the contents of the .p8 file from Apple`)
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SocialAuthOptionsError(`${where} must be a P-256 elliptic curve key, as Apple issues for Sign in with Apple`)
  }
  return key
}

function createSecretSigner (settings: { clientId: string, teamId: string, keyId: string, privateKey: KeyObject }): () => Promise<string> {
  let cached: { secret: string, expiresAt: number } | null = null
  return async () => {
    const now = Math.floor(Date.now() / 1000)
    if (cached !== null && cached.expiresAt - now > SECRET_RENEW_BEFORE_SECONDS) return cached.secret
    const expiresAt = now + SECRET_LIFETIME_SECONDS
    const secret = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: settings.keyId })
      .setIssuer(settings.teamId)
      .setSubject(settings.clientId)
      .setAudience('https://appleid.apple.com')
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(settings.privateKey)
    cached = { secret, expiresAt }
    return secret
  }
}

async function appleProfile (context: ProfileContext): Promise<ProfileFields> {
  const claims = context.claims ?? {}
  const email = stringOrNull(claims.email)
  // The `user` field is not signed, so only the name is taken from it, never the email.
  const user = parseUserField(context.user)
  const firstName = stringOrNull(user?.name?.firstName)
  const lastName = stringOrNull(user?.name?.lastName)
  return {
    uid: String(claims.sub),
    email,
    // Private relay addresses count as verified when Apple marks them verified.
    emailVerified: email !== null && isTrue(claims.email_verified),
    username: null,
    name: joinName(firstName, lastName),
    firstName,
    lastName,
    picture: null,
    raw: { ...claims, ...(user === null ? {} : { user }) }
  }
}

/**
 * Reads the name from Apple's `user` JSON, `{"name": {"firstName": "…", "lastName": "…"}}`. It is
 * rebuilt from its string values only, because the field is unsigned: any client can send it, with
 * `__proto__` keys at any depth.
 */
function parseUserField (value: string | undefined): { name: { firstName?: string, lastName?: string } } | null {
  if (value === undefined) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return null
  }
  if (!isObject(parsed) || !isObject(parsed.name)) return null
  const { firstName, lastName } = parsed.name
  return {
    name: {
      ...(typeof firstName === 'string' ? { firstName } : {}),
      ...(typeof lastName === 'string' ? { lastName } : {})
    }
  }
}
