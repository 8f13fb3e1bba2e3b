import { ProviderError } from '../errors.js'

export interface FetchJsonOptions {
  timeoutMs: number
  headers?: Record<string, string>
  /** Names the endpoint in error reasons, such as `userinfo`. */
  endpoint: string
}

const MAX_BODY_BYTES = 1024 * 1024

/**
 * GETs a JSON object from a provider endpoint, bounded in time and size. Every failure becomes a
 * `ProviderError` whose reason names the endpoint and the status but holds no token or body.
 */
export async function fetchJson (url: string, options: FetchJsonOptions): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...options.headers },
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
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint body could not be read: ${describeCause(error)}`, { cause: error })
  }
  if (!response.ok) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint answered HTTP ${response.status}`)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint answered HTTP ${response.status} with a body that is not JSON`)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProviderError('PROVIDER_BAD_RESPONSE', `${options.endpoint} endpoint answered JSON that is not an object`)
  }
  return body as Record<string, unknown>
}

async function readLimited (response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > maxBytes) throw new Error(`body of ${declared} bytes exceeds ${maxBytes}`)
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
      throw new Error(`body exceeds ${maxBytes} bytes`)
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
