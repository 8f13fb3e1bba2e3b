import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { SocialAuthError, StoreUnavailableError, ValidationError } from './errors.js'
import { toFieldErrors } from './validation.js'

/**
 * Turns every error of the plugin's routes into a Django REST framework style body: field errors
 * for 400, `{detail}` otherwise. Client input never produces a 500, and no body repeats a provider's
 * response.
 */
export function handleError (error: FastifyError | SocialAuthError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = toSocialAuthError(error)
  if (mapped === null) {
    // Only the error's class, code, message and stack: drivers attach fields (pg's `where`, say) that may quote parameters, tokens included.
    const { name, message, stack } = error
    request.log.error({ err: { type: name, message, code: (error as { code?: unknown }).code, stack } }, 'social sign-in failed with an unexpected error')
    reply.code(500).send({ detail: 'Internal server error.' })
    return
  }

  const logFields = { code: mapped.code, reason: mapped.reason, provider: (request.params as { provider?: string } | undefined)?.provider }
  if (mapped.statusCode >= 500) {
    request.log.error(logFields, 'social sign-in failed: %s', mapped.reason ?? mapped.message)
  } else {
    request.log.info(logFields, 'social sign-in request rejected: %s', mapped.code)
  }
  if (mapped instanceof StoreUnavailableError) reply.header('retry-after', String(mapped.retryAfterSeconds))
  reply.code(mapped.statusCode).send(mapped.toBody())
}

function toSocialAuthError (error: FastifyError | SocialAuthError | Error): SocialAuthError | null {
  if (error instanceof SocialAuthError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    return new ValidationError(toFieldErrors(fastifyError.validation as Parameters<typeof toFieldErrors>[0]))
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SocialAuthError('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported media type. Send application/json or application/x-www-form-urlencoded.')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SocialAuthError('BODY_TOO_LARGE', 413, 'Request body is too large.')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ValidationError({ non_field_errors: ['JSON parse error.'] }, 'JSON_INVALID')
  }
  const status = fastifyError.statusCode
  // @fastify/rate-limit throws a plain error with status 429 when a route's limit is reached.
  if (status === 429) return new SocialAuthError('RATE_LIMITED', 429, 'Request was throttled. Try again later.')
  // Only Fastify's own client errors are mapped here. A host function's error with a statusCode is a bug in the host.
  if (fastifyError.code?.startsWith('FST_') === true && status !== undefined && status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, a prototype-poisoning key, a bad Content-Length.
    if (status === 400) return new ValidationError({ non_field_errors: ['Malformed request.'] }, fastifyError.code ?? 'BAD_REQUEST')
    return new SocialAuthError(fastifyError.code ?? 'BAD_REQUEST', status, 'Bad request.')
  }
  return null
}
