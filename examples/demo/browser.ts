/**
 * Plays the browser's part at the OpenID provider: follows the authorization URL through the
 * development sign-in and consent pages over real HTTP, with a cookie jar, and returns the URL
 * that the provider finally redirects to.
 */
export async function signInAtProvider (authorizationUrl: string, options: { login?: string, redirectUri: string }): Promise<URL> {
  const cookies = new Map<string, string>()
  let url = authorizationUrl
  let method = 'GET'
  let body: string | undefined

  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' })
      },
      body
    })
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';')
      const separator = pair?.indexOf('=') ?? -1
      if (pair !== undefined && separator > 0) cookies.set(pair.slice(0, separator), pair.slice(separator + 1))
    }

    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null) {
      const next = new URL(location, url)
      if (next.href.startsWith(options.redirectUri)) return next
      url = next.href
      method = 'GET'
      body = undefined
      continue
    }
    if (response.status !== 200) throw new Error(`provider returned HTTP ${response.status} at ${url}: ${await response.text()}`)

    const html = await response.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (action === undefined) throw new Error(`no form on the provider page at ${url}`)
    const fields = new URLSearchParams()
    for (const match of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
      const name = match[1] as string
      const value = /value="([^"]*)"/.exec(match[0])?.[1] ?? ''
      fields.set(name, value)
    }
    if (fields.has('login')) fields.set('login', options.login ?? 'alice')
    if (fields.has('password')) fields.set('password', 'any-password')
    url = new URL(action.replaceAll('&amp;', '&'), url).href
    method = 'POST'
    body = fields.toString()
  }
  throw new Error('sign-in at the provider did not finish within 20 steps')
}
