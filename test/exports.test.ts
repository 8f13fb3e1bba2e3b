import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

// These import the package by its own name, as a user would, so they run against the built files
// that the `exports` map names (npm ci builds them through the prepare script).
describe('package exports', () => {
  it('main entry exports the plugin and its parts', async () => {
    const module = await import('fastify-social-auth')
    assert.equal(typeof module.default, 'function')
    assert.equal(module.socialAuth, module.default)
    for (const name of ['MemoryStateStore', 'RedisStateStore', 'SqliteAccountsAdapter', 'PostgresAccountsAdapter', 'TokenCipher', 'SignInError', 'SocialAuthError', 'StoreKeyExistsError', 'serializeRequestWithoutQuery']) {
      assert.equal(typeof (module as Record<string, unknown>)[name], 'function', name)
    }
  })

  it('schemas entry exports the TypeBox schemas', async () => {
    const schemas = await import('fastify-social-auth/schemas')
    assert.equal(schemas.CompleteBody.$id, 'SocialAuthCompleteBody')
    assert.equal(schemas.AuthorizationQuery.$id, 'SocialAuthAuthorizationQuery')
  })

  it('only the mapped paths are public', async () => {
    await assert.rejects(import('fastify-social-auth/dist/lib/flow.js' as string), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    for (const entry of Object.values(manifest.exports as Record<string, { types?: string, default?: string } | string>)) {
      if (typeof entry === 'string') continue
      assert.ok(entry.types?.endsWith('.d.ts'), JSON.stringify(entry))
      readFileSync(new URL(`../${entry.types ?? ''}`, import.meta.url))
      readFileSync(new URL(`../${entry.default ?? ''}`, import.meta.url))
    }
  })
})
