import { Type, type Static, type TSchema } from '@sinclair/typebox'

// RFC 6749 appendix A: codes and states are printable ASCII. Emptiness is minLength's to report.
const VSCHAR = '^[\\x20-\\x7E]*$'

/** Path parameters of both routes. */
export const ProviderParams = Type.Object({
  provider: Type.String({ description: 'Name of a configured provider, such as `google` or `corp`.' })
}, { $id: 'SocialAuthProviderParams' })

/** Path parameters with the configured provider names as an enum, for one registration's routes and OpenAPI document. */
export function providerParamsFor (names: string[]): typeof ProviderParams {
  return Type.Object({
    provider: Type.String({ enum: names, description: 'Name of a configured provider, such as `google` or `corp`.', examples: names.slice(0, 1) })
  }) as unknown as typeof ProviderParams
}

/** GET query: where the provider sends the browser back, and optional extra scopes. */
export const AuthorizationQuery = Type.Object({
  redirect_uri: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'Front-end page the provider redirects to. Must equal one of the configured redirect URIs exactly.',
    examples: ['https://app.example.com/auth/callback']
  }),
  scope: Type.Optional(Type.String({
    maxLength: 1024,
    description: 'Extra scopes, space-separated. Only those the provider options allow.'
  })),
  prompt: Type.Optional(Type.String({
    maxLength: 128,
    pattern: '^[\\x21-\\x7E]+( [\\x21-\\x7E]+)*$',
    description: 'OpenID `prompt` values, space-separated, among the provider\'s `allowedPrompts`.'
  })),
  login_hint: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 320,
    pattern: VSCHAR,
    description: 'Account to preselect at the provider, when the provider has `allowLoginHint`.'
  })),
  binding_challenge: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{43}$',
    description: 'base64url SHA-256 of a random secret that the front end keeps and sends back as `binding_verifier`.'
  }))
}, { $id: 'SocialAuthAuthorizationQuery', additionalProperties: true })

/** GET 200 body. */
export const AuthorizationResponse = Type.Object({
  authorization_url: Type.String({
    description: 'URL to send the browser to.',
    examples: ['https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=…&state=…&code_challenge=…&code_challenge_method=S256&nonce=…']
  })
}, { $id: 'SocialAuthAuthorizationResponse', description: 'The authorization URL.' })

/**
 * POST input, from the JSON or form body merged over the query string: `code` and `state` from the
 * provider's redirect, or a native app's `id_token` (with its `nonce`) or `access_token`, which
 * only a JSON body may carry.
 * Other parameters that a front end forwards from the provider's redirect (`scope`, `authuser`,
 * `prompt`, …) are ignored.
 */
export const CompleteBody = Type.Object({
  code: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: VSCHAR,
    description: 'Authorization code from the provider redirect.'
  })),
  state: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: VSCHAR, description: 'The state from the provider redirect.' })),
  iss: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'RFC 9207 issuer identifier from the provider redirect.' })),
  error: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'OAuth error code from the provider redirect, such as `access_denied`.' })),
  error_description: Type.Optional(Type.String({ maxLength: 2048, description: 'Provider text that goes with `error`. It is never shown back.' })),
  binding_verifier: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{43,128}$',
    description: 'The secret whose SHA-256 was sent as `binding_challenge` on GET.'
  })),
  user: Type.Optional(Type.String({
    maxLength: 4096,
    description: 'Sign in with Apple only: the `user` JSON that Apple posts on the first sign-in, with the name.'
  })),
  id_token: Type.Optional(Type.String({
    maxLength: 8192,
    pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
    description: 'Native sign-in: the id_token that the app got from the provider\'s SDK, in place of `code` and `state`, in a JSON body. ' +
      'Only for providers with `allowIdTokenSignIn`; ignored beside `code`, `state` or `error`.'
  })),
  nonce: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 512,
    pattern: VSCHAR,
    description: 'Native sign-in: the raw nonce the app passed to the SDK. The id_token carries it or its SHA-256.'
  })),
  access_token: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 4096,
    pattern: VSCHAR,
    description: 'Native sign-in: a provider access token from the app\'s SDK, in place of `code` and `state`, in a JSON body. ' +
      'Only for providers with `allowAccessTokenSignIn` (Facebook); ignored beside `code`, `state` or `error`.'
  }))
}, {
  $id: 'SocialAuthCompleteBody',
  additionalProperties: true,
  // A native sign-in carries `id_token` or `access_token` and none of a redirect's fields. A
  // redirect's fields carry `state`, and `code` unless the provider redirected with an `error`.
  if: {
    anyOf: [{ required: ['id_token'] }, { required: ['access_token'] }],
    not: { anyOf: [{ required: ['code'] }, { required: ['state'] }, { required: ['error'] }] }
  },
  else: {
    required: ['state'],
    if: { required: ['error'] },
    else: { required: ['code'] }
  }
})

/** POST 201 body of the default token strategy. */
export const TokenResponse = Type.Object({
  token: Type.String({ description: 'JWT for the signed-in user.' }),
  user: Type.Object({}, { additionalProperties: true, description: 'The user, as `serializeUser` returns it.' }),
  created: Type.Optional(Type.Boolean({ description: 'True when this sign-in created the user; with `jwt.reportCreated`.' }))
}, { $id: 'SocialAuthTokenResponse' })

/** POST 201 body of the `jwt-pair` strategy, as djoser with djangorestframework-simplejwt returns it. */
export const TokenPairResponse = Type.Object({
  access: Type.String({ description: 'Short-lived access JWT (`token_type` access).' }),
  refresh: Type.String({ description: 'Refresh JWT (`token_type` refresh).' }),
  user: Type.Object({}, { additionalProperties: true, description: 'The user, as `serializeUser` returns it.' }),
  created: Type.Optional(Type.Boolean({ description: 'True when this sign-in created the user; with `jwt.reportCreated`.' }))
}, { $id: 'SocialAuthTokenPairResponse' })

/** POST 201 body of a host-supplied token strategy: whatever `issueToken` returns. */
export const CustomTokenResponse = Type.Object({}, {
  $id: 'SocialAuthCustomTokenResponse',
  additionalProperties: true,
  description: 'The object that the issueToken option returns.'
})

/** 400 body: messages per field, and `non_field_errors` for the request as a whole. */
export const ValidationErrorResponse = Type.Record(Type.String(), Type.Array(Type.String()), {
  $id: 'SocialAuthValidationError',
  description: 'Django REST framework style field errors.'
})

/** 404, 413, 415, 500, 502 and 503 body. */
export const DetailErrorResponse = Type.Object({
  detail: Type.String({ examples: ['Provider not found.'] })
}, { $id: 'SocialAuthDetailError' })

/** Copies a response schema with its own description, for the OpenAPI document. The copy has no `$id`. */
export function describedResponse<T extends TSchema> (schema: T, description: string): T {
  const { $id: _id, ...rest } = schema
  return { ...rest, description } as unknown as T
}

export type ProviderParamsType = Static<typeof ProviderParams>
export type AuthorizationQueryType = Static<typeof AuthorizationQuery>
export type CompleteBodyType = Static<typeof CompleteBody>
