import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import swagger from '@fastify/swagger'
import { Validator } from '@seriousme/openapi-schema-validator'
import Fastify from 'fastify'
import socialAuth, { type SocialAuthOptions } from '../lib/index.js'

interface OpenApiOperation {
  operationId?: string
  summary?: string
  tags?: string[]
  parameters?: Array<{ in: string, name: string, required?: boolean, schema: Record<string, unknown> }>
  requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>, required?: string[] } }> }
  responses: Record<string, { description: string, content?: Record<string, { schema: { properties?: Record<string, unknown>, required?: string[] } }> }>
}

type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> } & Record<string, unknown>

async function documentFor (extra: Partial<SocialAuthOptions> = {}): Promise<OpenApiDocument> {
  const app = Fastify()
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'social-auth', version: '1.0.0' } } })
  await app.register(socialAuth, {
    prefix: '/auth',
    redirectUris: ['https://app.example.test/auth/callback'],
    providers: { github: { clientId: 'c', clientSecret: 's' }, google: { clientId: 'c', clientSecret: 's' } },
    resolveUser: async () => ({ id: 1 }),
    jwt: { secret: 'openapi-test-secret-0123456789abcdef' },
    ...extra
  })
  await app.ready()
  const document = app.swagger() as unknown as OpenApiDocument
  await app.close()
  return document
}

const ERROR_STATUSES = ['400', '404', '413', '415', '429', '500', '502', '503']

describe('OpenAPI document', () => {
  it('lists both operations once, with the provider enum', async () => {
    const document = await documentFor()
    assert.deepEqual(Object.keys(document.paths), ['/auth/o/{provider}/'])
    const path = document.paths['/auth/o/{provider}/'] ?? {}
    assert.deepEqual(Object.keys(path).sort(), ['get', 'post'])
    for (const operation of [path.get, path.post]) {
      const provider = operation?.parameters?.find((parameter) => parameter.in === 'path')
      assert.equal(provider?.name, 'provider')
      assert.equal(provider?.required, true)
      assert.deepEqual(provider?.schema.enum, ['github', 'google', 'google-oauth2'])
      assert.deepEqual(operation?.tags, ['social-auth'])
    }
    assert.equal(path.get?.operationId, 'socialAuthBeginAuth')
    assert.equal(path.post?.operationId, 'socialAuthCompleteAuth')
    assert.equal(path.get?.summary, 'Start a social sign-in')
    assert.equal(path.post?.summary, 'Complete a social sign-in')
  })

  it('describes the GET query and every response', async () => {
    const get = (await documentFor()).paths['/auth/o/{provider}/']?.get
    const query = Object.fromEntries((get?.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter]))
    assert.deepEqual(Object.keys(query).sort(), ['binding_challenge', 'login_hint', 'prompt', 'redirect_uri', 'scope'])
    assert.equal(query.redirect_uri?.required, true)
    assert.equal(query.scope?.required, false)
    assert.deepEqual(Object.keys(get?.responses ?? {}).sort(), ['200', ...ERROR_STATUSES].sort())
    assert.deepEqual(get?.responses['200']?.content?.['application/json']?.schema.required, ['authorization_url'])
    assert.equal(get?.responses['404']?.description, 'Provider not configured.')
    assert.deepEqual(get?.responses['400']?.content?.['application/json']?.schema, {
      description: 'Invalid input, or a rejected sign-in: errors per field, or under `non_field_errors`.',
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string' } }
    })
    assert.deepEqual(get?.responses['503']?.content?.['application/json']?.schema.required, ['detail'])
  })

  it('describes the POST body and the default token body', async () => {
    const post = (await documentFor()).paths['/auth/o/{provider}/']?.post
    const body = post?.requestBody?.content['application/json']?.schema
    assert.deepEqual(Object.keys(body?.properties ?? {}).sort(), [
      'access_token', 'binding_verifier', 'code', 'error', 'error_description', 'id_token', 'iss', 'nonce', 'state', 'user'
    ])
    // A native app's token replaces code and state, so neither is required at the top level.
    assert.equal(body?.required, undefined)
    const conditional = body as unknown as { if: unknown, else: { required: string[], if: unknown, else: { required: string[] } } }
    assert.deepEqual(conditional.if, {
      anyOf: [{ required: ['id_token'] }, { required: ['access_token'] }],
      not: { anyOf: [{ required: ['code'] }, { required: ['state'] }, { required: ['error'] }] }
    })
    assert.deepEqual(conditional.else.required, ['state'])
    assert.deepEqual(conditional.else.if, { required: ['error'] })
    assert.deepEqual(conditional.else.else.required, ['code'])
    assert.deepEqual(Object.keys(post?.responses ?? {}).sort(), ['201', ...ERROR_STATUSES].sort())
    const created = post?.responses['201']?.content?.['application/json']?.schema
    assert.deepEqual(Object.keys(created?.properties ?? {}).sort(), ['created', 'token', 'user'])
    assert.deepEqual(created?.required, ['token', 'user'])
    assert.equal(post?.responses['201']?.description, 'Signed in.')
  })

  it('follows the token strategy in the 201 body', async () => {
    const pair = (await documentFor({ tokenStrategy: 'jwt-pair' })).paths['/auth/o/{provider}/']?.post
    assert.deepEqual(Object.keys(pair?.responses['201']?.content?.['application/json']?.schema.properties ?? {}).sort(), ['access', 'created', 'refresh', 'user'])
    const custom = (await documentFor({ jwt: undefined, issueToken: async () => ({ session: 's' }) })).paths['/auth/o/{provider}/']?.post
    assert.deepEqual(custom?.responses['201']?.content?.['application/json']?.schema.properties, {})
  })

  it('two registrations get distinct operation ids', async () => {
    const app = Fastify()
    await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'social-auth', version: '1.0.0' } } })
    for (const prefix of ['/web', '/mobile']) {
      await app.register(socialAuth, {
        prefix,
        redirectUris: ['https://app.example.test/auth/callback'],
        providers: { github: { clientId: 'c', clientSecret: 's' } },
        resolveUser: async () => ({ id: 1 }),
        jwt: { secret: 'openapi-test-secret-0123456789abcdef' }
      })
    }
    await app.ready()
    const document = app.swagger() as unknown as OpenApiDocument
    await app.close()
    const ids = Object.values(document.paths).flatMap((path) => Object.values(path).map((operation) => operation.operationId))
    assert.deepEqual(ids.sort(), ['socialAuthBeginMobile', 'socialAuthBeginWeb', 'socialAuthCompleteMobile', 'socialAuthCompleteWeb'])
    const result = await new Validator().validate(document as never)
    assert.equal(result.valid, true, JSON.stringify(result.errors))
  })

  it('validates against the OpenAPI 3.1 schema', async () => {
    for (const extra of [{}, { tokenStrategy: 'jwt-pair' as const }]) {
      const result = await new Validator().validate(await documentFor(extra) as never)
      assert.equal(result.valid, true, JSON.stringify(result.errors))
    }
  })
})
