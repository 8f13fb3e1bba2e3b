import { Ajv, type ErrorObject } from 'ajv'
import type { FieldErrors } from './errors.js'

/**
 * Validator for the plugin's routes. Unlike Fastify's default it coerces nothing, so a number,
 * `null` or a one-element array where a string belongs is rejected, not converted.
 */
export function createValidator (): Ajv {
  return new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false, verbose: true })
}

/** Converts Ajv errors to field errors with Django REST framework's wording. */
export function toFieldErrors (errors: readonly ErrorObject[]): FieldErrors {
  const fields: FieldErrors = {}
  for (const error of errors) {
    // An if/else schema reports the failed branch as well as the error inside it.
    if (error.keyword === 'if') continue
    const missing = error.keyword === 'required' ? String((error.params as { missingProperty: string }).missingProperty) : null
    const field = missing ?? (error.instancePath === '' ? 'non_field_errors' : error.instancePath.slice(1).split('/')[0] ?? 'non_field_errors')
    const message = messageFor(error)
    const list = fields[field] ?? (fields[field] = [])
    if (!list.includes(message)) list.push(message)
  }
  return fields
}

function messageFor (error: ErrorObject): string {
  const params = error.params as { limit?: number, type?: string }
  switch (error.keyword) {
    case 'required':
      return 'This field is required.'
    case 'type':
      if (error.instancePath === '') return 'Invalid data. Expected an object of fields.'
      if (Array.isArray(error.data)) return 'Only one value is allowed.'
      if (error.data === null) return 'This field may not be null.'
      return params.type === 'string' ? 'Not a valid string.' : `Expected a value of type ${String(params.type)}.`
    case 'minLength':
      return params.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${String(params.limit)} characters.`
    case 'pattern':
      // Codes and states are checked against RFC 6749's printable ASCII, other fields against their format.
      return (error.params as { pattern?: string }).pattern?.startsWith('^[\\x20') === true
        ? 'This field contains characters that are not allowed.'
        : 'Enter a valid value.'
    case 'maxLength':
      return `Ensure this field has no more than ${String(params.limit)} characters.`
    default:
      return 'Invalid value.'
  }
}
