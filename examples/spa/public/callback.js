const title = document.getElementById('title')
const message = document.getElementById('message')

function fail (text) {
  title.textContent = 'Sign-in failed'
  message.textContent = text
}

function decodeClaims (token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
  return JSON.parse(atob(payload))
}

async function complete () {
  const params = new URLSearchParams(location.search)
  const provider = sessionStorage.getItem('provider')
  const expectedState = sessionStorage.getItem('state')
  sessionStorage.removeItem('state')
  if (provider === null || expectedState === null || params.get('state') !== expectedState) {
    return fail('This sign-in was not started in this tab. Start again from the first page.')
  }

  // Everything the provider put in the redirect goes to the API: code and state, or error, plus iss and Apple's user.
  const body = { state: params.get('state'), binding_verifier: sessionStorage.getItem('binding_verifier') }
  for (const name of ['code', 'iss', 'error', 'error_description', 'user']) {
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
  document.getElementById('claims').textContent = JSON.stringify(decodeClaims(result.token), null, 2)
  document.getElementById('result').hidden = false
}

complete().catch((error) => fail(`Sign-in could not finish: ${error.message}`))
