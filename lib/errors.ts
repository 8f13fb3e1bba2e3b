/**
 * Error classes of the plugin. Each carries a stable `code` for logs, tests and host hooks,
 * the HTTP status it maps to, and the Django REST framework style body the client receives.
 */

/** Field errors in Django REST framework's shape: field name to a list of messages. */
export type FieldErrors = Record<string, string[]>

export type ErrorBody = FieldErrors | { detail: string }

export interface SocialAuthErrorOptions {
  cause?: unknown
  reason?: string
}

export class SocialAuthError extends Error {
  /** Stable machine-readable code, such as `STATE_INVALID`. */
  readonly code: string
  readonly statusCode: number
  /** Detailed cause, for the operator's log. Never contains secrets and is never sent to the client. */
  readonly reason: string | undefined

  constructor (code: string, statusCode: number, message: string, options?: SocialAuthErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SocialAuthError'
    this.code = code
    this.statusCode = statusCode
    this.reason = options?.reason
  }

  /** Builds the body sent to the client. Subclasses decide what of themselves is public. */
  toBody (): ErrorBody {
    return { detail: this.message }
  }
}

/** 400 with errors per field, or under `non_field_errors` for errors of the request as a whole. */
export class ValidationError extends SocialAuthError {
  readonly fields: FieldErrors

  constructor (fields: FieldErrors, code = 'VALIDATION_FAILED') {
    super(code, 400, Object.entries(fields).map(([field, messages]) => `${field}: ${messages.join(' ')}`).join('; '))
    this.name = 'ValidationError'
    this.fields = fields
  }

  static field (field: string, message: string, code?: string): ValidationError {
    return new ValidationError({ [field]: [message] }, code)
  }

  override toBody (): FieldErrors {
    return this.fields
  }
}

/**
 * 400 for a sign-in that cannot complete: a bad state, a rejected code, an invalid id_token, or a
 * user the host does not let in. The public message is generic where details would help an attacker.
 */
export class SignInError extends SocialAuthError {
  constructor (code: string, message: string, options?: SocialAuthErrorOptions) {
    super(code, 400, message, options)
    this.name = 'SignInError'
  }

  override toBody (): FieldErrors {
    return { non_field_errors: [this.message] }
  }
}

/** 404: the provider named in the URL is not configured. */
export class ProviderNotFoundError extends SocialAuthError {
  constructor () {
    super('PROVIDER_NOT_FOUND', 404, 'Provider not found.')
    this.name = 'ProviderNotFoundError'
  }
}

/**
 * 502: the provider could not be reached, timed out, returned something unusable, or rejected
 * our client credentials. The public message never contains the provider's response, which
 * `reason` keeps for the operator's log.
 */
export class ProviderError extends SocialAuthError {
  constructor (code: string, reason: string, options?: { cause?: unknown }) {
    super(code, 502, 'The sign-in provider failed to respond correctly. Try again later.', { cause: options?.cause, reason })
    this.name = 'ProviderError'
  }
}

/** 503: the state store cannot be used right now. The reply carries `Retry-After`. */
export class StoreUnavailableError extends SocialAuthError {
  readonly retryAfterSeconds: number

  constructor (reason: string, options?: { cause?: unknown, retryAfterSeconds?: number }) {
    super('STATE_STORE_UNAVAILABLE', 503, reason, { cause: options?.cause, reason })
    this.name = 'StoreUnavailableError'
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5
  }

  override toBody (): { detail: string } {
    return { detail: 'Sign-in is temporarily unavailable. Try again later.' }
  }
}

/**
 * 503 like its parent, raised by `StateStore.save` when the key exists already. The sign-in flow
 * catches it where a taken key means a replay: an id_token that signed in before.
 */
export class StoreKeyExistsError extends StoreUnavailableError {
  constructor (reason: string) {
    super(reason)
    this.name = 'StoreKeyExistsError'
  }
}

/** Raised at registration for invalid plugin options. */
export class SocialAuthOptionsError extends Error {
  readonly code = 'FST_SOCIAL_AUTH_OPTIONS'

  constructor (message: string) {
    super(message)
    this.name = 'SocialAuthOptionsError'
  }
}
