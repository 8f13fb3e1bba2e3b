import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { buildApp, REDIRECT_URI, type TestApp } from './support/app.js'
import { StubProvider } from './support/stub-provider.js'

const RUNS = 3000

/** Strings that often break parsers: prototype keys, encodings, control characters and long runs. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '%00', '%zz', '\u0000', '\ud800', '\uffff', '../', '\\', '"', '{}', '[]', 'null', 'true', '1e999', REDIRECT_URI),
  fc.string({ minLength: 500, maxLength: 5000 }),
  fc.webUrl()
)

/** Values shaped like real ones, so that more requests pass validation and reach the state and provider checks. */
const plausibleValue = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  fc.constantFrom('access_denied', 'server_error', 'https://127.0.0.1/issuer', '{"name":{"firstName":"A"}}', REDIRECT_URI)
)

const fieldNames = fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'user', 'binding_verifier', 'redirect_uri', 'scope', 'binding_challenge', '__proto__', 'constructor', 'hd')

const jsonValue = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }))

const contentTypes = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml',
  'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/vnd.api+json', '', 'application/x-www-form-urlencoded; charset=latin1'
)

interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'
  provider: string
  slash: boolean
  query: Record<string, string | string[]>
  body: string | undefined
  contentType: string
  useValidState: boolean
  /** Start the state with a binding challenge, so the verifier check runs. */
  challenge: boolean
}

/** Percent-encodes a path segment. A lone surrogate cannot be encoded, so it is sent as a raw escape instead. */
function encodeSegment (value: string): string {
  try {
    return encodeURIComponent(value).slice(0, 100) || 'x'
  } catch {
    return '%ED%A0%80'
  }
}

/** Drops values that the test client itself cannot put in a URL, such as lone surrogates. */
function encodableQuery (query: Record<string, string | string[]>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(query)) {
    try {
      encodeURIComponent(key + String(value))
      result[key] = value
    } catch {}
  }
  return result
}

const requests: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
  provider: fc.oneof(fc.constant('stub'), fc.constant('stub'), hostileString.map((value) => encodeSegment(value))),
  slash: fc.boolean(),
  query: fc.dictionary(fieldNames, fc.oneof(hostileString, plausibleValue, fc.array(hostileString, { maxLength: 3 })), { maxKeys: 4 }),
  body: fc.option(fc.oneof(
    fc.dictionary(fieldNames, jsonValue, { maxKeys: 5 }).map((value) => JSON.stringify(value)),
    fc.dictionary(fieldNames, plausibleValue, { maxKeys: 5 }).map((value) => JSON.stringify({ code: 'fuzz-code', ...value })),
    fc.dictionary(fieldNames, hostileString, { maxKeys: 5 }).map((value) => new URLSearchParams(value as Record<string, string>).toString()),
    hostileString,
    jsonValue.map((value) => JSON.stringify(value) ?? 'undefined')
  ), { nil: undefined }),
  contentType: contentTypes,
  useValidState: fc.boolean(),
  challenge: fc.boolean()
})

describe('fuzzed requests', () => {
  const stub = new StubProvider()
  let testApp: TestApp

  before(async () => {
    await stub.start()
    testApp = await buildApp({
      providerTimeoutMs: 500,
      providers: { stub: { type: 'oidc', issuer: stub.issuer, clientId: stub.clientId, clientSecret: stub.clientSecret } }
    })
    let calls = 0
    // The token endpoint alternates between a rejected code, a broken body and a valid-looking response.
    stub.tokenHandler = (_request, reply) => {
      calls++
      if (calls % 3 === 0) return reply.code(400).send({ error: 'invalid_grant' })
      if (calls % 3 === 1) return reply.type('text/html').send('<html>')
      return { access_token: 'fuzz', token_type: 'Bearer', id_token: 'not.a.jwt' }
    }
  })
  after(async () => {
    await testApp.app.close()
    await stub.close()
  })

  it(`${RUNS} random requests get no 500 and keep the app up`, async () => {
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(requests, async (request) => {
      const query = encodableQuery(request.query)
      if (request.useValidState && request.method === 'POST') {
        const begin = await testApp.app.inject({
          url: '/o/stub/',
          query: request.challenge ? { redirect_uri: REDIRECT_URI, binding_challenge: 'A'.repeat(43) } : { redirect_uri: REDIRECT_URI }
        })
        query.state = new URL(begin.json().authorization_url).searchParams.get('state') ?? ''
      }
      // Half of the requests with a real state send a well-formed body, so the binding and provider paths run.
      const wellFormed = request.useValidState && request.challenge === request.slash && request.method === 'POST'
      const response = await testApp.app.inject({
        method: request.method,
        url: `/o/${request.provider}${request.slash ? '/' : ''}`,
        query,
        payload: wellFormed ? JSON.stringify({ code: 'fuzz-code', state: query.state, binding_verifier: 'B'.repeat(43) }) : request.body,
        headers: wellFormed ? { 'content-type': 'application/json' } : request.contentType === '' ? {} : { 'content-type': request.contentType }
      })
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      const allowed = response.statusCode < 500 || response.statusCode === 502 || response.statusCode === 503
      if (!allowed) throw new Error(`HTTP ${response.statusCode} for ${JSON.stringify(request).slice(0, 300)}: ${response.body.slice(0, 200)}`)
      return true
    }), { numRuns: RUNS, seed: 20261204, endOnFailure: true })

    assert.ok(!statuses.has(500), `statuses ${JSON.stringify([...statuses])}`)
    assert.ok((statuses.get(400) ?? 0) > RUNS / 4, `many requests reach validation: ${JSON.stringify([...statuses])}`)
    assert.ok((statuses.get(502) ?? 0) > 10, `some requests reach the provider: ${JSON.stringify([...statuses])}`)
    const health = await testApp.begin('stub')
    assert.equal(health.statusCode, 200, 'the app still serves sign-ins')
  })
})
