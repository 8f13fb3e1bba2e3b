const title = document.getElementById('title')
const message = document.getElementById('message')

function fail (text) {
  title.textContent = 'Sign-in failed'
  message.textContent = text
}

function decodeClaims (token) {
  const payload = atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(payload, (character) => character.charCodeAt(0))))
}

async function complete () {
  const params = new URLSearchParams(location.search)
  // The code leaves the address bar and the history at once, and each sign-in's keys are used once.
  history.replaceState(null, '', location.pathname)
  const provider = sessionStorage.getItem('provider')
  const expectedState = sessionStorage.getItem('state')
  const verifier = sessionStorage.getItem('binding_verifier')
  for (const key of ['state', 'provider', 'binding_verifier']) sessionStorage.removeItem(key)
  if (provider === null || expectedState === null || params.get('state') !== expectedState) {
    return fail('This sign-in was not started in this tab. Start again from the first page.')
  }

  // Everything the provider put in the redirect goes to the API: code and state, or error, plus iss.
  const body = { state: params.get('state'), binding_verifier: verifier }
  for (const name of ['code', 'iss', 'error', 'error_description']) {
    if (params.has(name)) body[name] = params.get(name)
  }
  const response = await fetch(`/auth/o/${encodeURIComponent(provider)}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  const result = await response.json()
  if (response.status !== 201) return fail(result.detail ?? Object.values(result).flat().join(' '))

  title.textContent = 'Signed in'
  document.getElementById('user').textContent = JSON.stringify(result.user, null, 2)
  // The default strategy returns `token`, and jwt-pair returns `access`.
  const token = result.token ?? result.access
  document.getElementById('claims').textContent = token === undefined ? '(no JWT in the response)' : JSON.stringify(decodeClaims(token), null, 2)
  document.getElementById('result').hidden = false
}

complete().catch((error) => fail(`Sign-in could not finish: ${error.message}`))
