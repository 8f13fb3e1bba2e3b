import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SocialAuthOptionsError } from '../errors.js'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Encrypts provider tokens for storage with AES-256-GCM. Each value gets a fresh 96-bit IV, and
 * the provider, uid and column are authenticated with it, so a value copied to another row or
 * column fails to decrypt. Stored form: `v1.` and base64url of IV, ciphertext and tag.
 */
export class TokenCipher {
  readonly #key: Buffer

  constructor (key: string | Uint8Array) {
    // Node decodes base64 leniently, so a passphrase would pass as a key without this check.
    if (typeof key === 'string' && !/^[A-Za-z0-9+/]{43}=$/.test(key)) {
      throw new SocialAuthOptionsError('accounts.encryptionKey must be 32 bytes, as a Uint8Array or a base64 string (openssl rand -base64 32)')
    }
    const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key)
    if (bytes.byteLength !== 32) {
      throw new SocialAuthOptionsError('accounts.encryptionKey must be 32 bytes, as a Uint8Array or a base64 string (openssl rand -base64 32)')
    }
    this.#key = bytes
  }

  encrypt (plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(context))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `${VERSION}.${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url')}`
  }

  /** Decrypts what `encrypt` stored under the same context. Throws when the value or context differ. */
  decrypt (stored: string, context: string): string {
    if (!stored.startsWith(`${VERSION}.`)) throw new Error('stored token is not in the encrypted format')
    const data = Buffer.from(stored.slice(VERSION.length + 1), 'base64url')
    if (data.byteLength < IV_BYTES + TAG_BYTES) throw new Error('stored token is too short')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, data.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES))
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.byteLength - TAG_BYTES)), decipher.final()]).toString('utf8')
  }
}

/** Builds the authenticated context of one stored token. */
export function tokenContext (provider: string, uid: string, column: string): string {
  return JSON.stringify([provider, uid, column])
}
