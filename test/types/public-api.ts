// Type tests of the public API, checked by the type check (`npm run typecheck`): a wrong type here
// fails the build. They import the package by its own name, so they also check the `exports` map's
// `types` entry.
import Fastify, { type FastifyRequest } from 'fastify'
import { expectTypeOf } from 'expect-type'
import socialAuth, {
  MemoryStateStore, RedisStateStore, SignInError, SocialAuthError, StoreKeyExistsError, StoreUnavailableError, type AccountsAdapter, type Identity, type IssueToken,
  type ProviderOptions, type SocialAuthOptions, type StateRecord, type StateStore
} from 'fastify-social-auth'
import { CompleteBody } from 'fastify-social-auth/schemas'

const app = Fastify()

// Registration takes the plugin's options, with presets needing no type.
await app.register(socialAuth, {
  redirectUris: ['https://app.example.com/auth/callback'],
  providers: {
    google: { clientId: 'id', clientSecret: 'secret' },
    corp: { type: 'oidc', issuer: 'https://sso.example.com', clientId: 'id', clientSecret: 'secret' },
    tenant: { type: 'microsoft', tenant: 'organizations', clientId: 'id', clientSecret: 'secret' },
    apple: { clientId: 'services-id', teamId: 'T', keyId: 'K', privateKey: 'pem', allowIdTokenSignIn: true, clientIds: { ios: 'com.example.app' }, idTokenNonceForm: 'sha256' },
    facebook: { clientId: 'app-id', clientSecret: 'secret', allowAccessTokenSignIn: true }
  },
  resolveUser: async (identity) => ({ id: identity.uid }),
  jwt: { secret: 'x'.repeat(32) }
})

// @ts-expect-error providers is required
const missingProviders: SocialAuthOptions = { resolveUser: async () => null }
export { missingProviders }

// Module augmentation: the decoration is typed.
expectTypeOf(app.socialAuth.providers).toEqualTypeOf<readonly string[]>()
expectTypeOf(app.socialAuth.stateStore).toEqualTypeOf<StateStore>()
// A refresh always returns an access token, unlike an id_token sign-in.
expectTypeOf(app.socialAuth.refreshProviderToken).returns.resolves.toHaveProperty('accessToken').toEqualTypeOf<string>()

// The identity handed to resolveUser.
expectTypeOf<Identity['uid']>().toEqualTypeOf<string>()
expectTypeOf<Identity['email']>().toEqualTypeOf<string | null>()
expectTypeOf<Identity['emailVerified']>().toEqualTypeOf<boolean>()
expectTypeOf<Identity['tokens']['expiresAt']>().toEqualTypeOf<Date | null>()
// An id_token sign-in brings no access token.
expectTypeOf<Identity['tokens']['accessToken']>().toEqualTypeOf<string | null>()
expectTypeOf<NonNullable<SocialAuthOptions['resolveUser']>>().parameter(1).toEqualTypeOf<FastifyRequest>()

// State stores implement one interface, which custom stores implement too.
expectTypeOf<MemoryStateStore>().toMatchTypeOf<StateStore>()
expectTypeOf<RedisStateStore>().toMatchTypeOf<StateStore>()
expectTypeOf<StateStore['take']>().returns.resolves.toEqualTypeOf<StateRecord | null>()
const customStore: StateStore = {
  save: async () => {},
  take: async () => null
}
export { customStore }

// Token strategies and errors.
expectTypeOf<IssueToken>().returns.toEqualTypeOf<Record<string, unknown> | Promise<Record<string, unknown>>>()
expectTypeOf(new SignInError('CODE', 'message')).toMatchTypeOf<SocialAuthError>()
// A custom store's save rejects with StoreKeyExistsError for a taken key, which is a StoreUnavailableError.
expectTypeOf(new StoreKeyExistsError('key exists')).toMatchTypeOf<StoreUnavailableError>()
expectTypeOf<SocialAuthError['code']>().toEqualTypeOf<string>()
expectTypeOf<AccountsAdapter['findUserByAccount']>().parameters.toEqualTypeOf<[string, string]>()
expectTypeOf<ProviderOptions>().toMatchTypeOf<{ clientId: string }>()

// The schemas entry point exports TypeBox schemas.
expectTypeOf(CompleteBody.properties.code.type).toEqualTypeOf<'string'>()
expectTypeOf(CompleteBody.properties.id_token.type).toEqualTypeOf<'string'>()
