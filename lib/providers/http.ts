import { ProviderError } from '../errors.js'

export interface RequestJsonOptions {
  /** Names the endpoint in error reasons, such as `userinfo`. */
  endpoint: string
  timeoutMs: number
  headers?: Record<string, string>
  method?: 'GET' | 'POST'
  body?: string
  /** Resolve to null instead of failing on these HTTP statuses, for optional data. */
  allowStatus?: number[]
}

const MAX_BODY_BYTES = 1024 * 1024
/** GitHub's and Reddit's APIs reject requests without a User-Agent. */
export const USER_AGENT = 'fastify-social-auth'

/**
 * Sends a request to a provider endpoint and parses its JSON response, bounded in time and size.
 * Every failure becomes a `ProviderError` whose reason names the endpoint and the status, and
 * contains no token and no body.
 */
export async function requestJson (url: string, options: RequestJsonOptions): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...options.headers },
      body: options.body,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs)
    })
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError'
    throw new ProviderError(
      timedOut ? 'PROVIDER_TIMEOUT' : 'PROVIDER_UNREACHABLE',
      timedOut ? `${options.endpoint} endpoint timed out after ${options.timeoutMs} ms` : `${options.endpoint} endpoint request failed: ${describeCause(error)}`,
      { cause: error }
    )
  }

  let text: string
  try {
    text = await readLimited(response, MAX_BODY_BYTES)
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError'
    throw new ProviderError(
      timedOut ? 'PROVIDER_TIMEOUT' : 'PROVIDER_BAD_RESPONSE',
      `${options.endpoint} endpoint body could not be read: ${describeCause(error)}`,
      { cause: error }
    )
  }
  if (options.allowStatus?.includes(response.status) === true) return null
  if (!response.ok) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint returned HTTP ${response.status}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint returned HTTP ${response.status} with a body that is not JSON`)
  }
}

/** Like `requestJson`, for endpoints whose response must be a JSON object. */
export async function fetchJsonObject (url: string, options: RequestJsonOptions): Promise<Record<string, unknown>> {
  const body = await requestJson(url, options)
  if (!isObject(body)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint returned JSON that is not an object`)
  }
  return body
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

async function readLimited (response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new RangeError(`body of ${declared} bytes exceeds ${maxBytes}`)
  }
  const reader = response.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new RangeError(`body exceeds ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Describes a network error by its class and code, which carry no secrets. */
export function describeCause (error: unknown): string {
  const err = error as { name?: string, code?: string, cause?: { code?: string } }
  const code = err.code ?? err.cause?.code
  return code === undefined ? String(err.name ?? 'Error') : `${String(err.name ?? 'Error')} (${code})`
}
