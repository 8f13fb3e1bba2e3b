// Helpers shared by both pages: base64url, and the browser binding against login CSRF.

export function base64url (bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Draws a random secret, keeps it for the callback page, and returns its SHA-256 as the challenge. */
export async function newBindingChallenge () {
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)))
  sessionStorage.setItem('binding_verifier', secret)
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret))
  return base64url(new Uint8Array(digest))
}
