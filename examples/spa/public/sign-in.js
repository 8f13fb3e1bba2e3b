import { newBindingChallenge } from '/binding.js'

const message = document.getElementById('message')
const list = document.getElementById('providers')
const redirectUri = `${location.origin}/callback.html`

async function signIn (provider) {
  message.textContent = ''
  // A second click would replace the binding secret of the first sign-in.
  for (const button of list.querySelectorAll('button')) button.disabled = true
  try {
    const query = new URLSearchParams({ redirect_uri: redirectUri, binding_challenge: await newBindingChallenge() })
    const response = await fetch(`/auth/o/${encodeURIComponent(provider)}/?${query}`)
    const body = await response.json()
    if (!response.ok) throw new Error(Object.values(body).flat().join(' ') || `HTTP ${response.status}`)
    // The callback page compares the state it receives with this one.
    sessionStorage.setItem('state', new URL(body.authorization_url).searchParams.get('state'))
    sessionStorage.setItem('provider', provider)
    location.assign(body.authorization_url)
  } catch (error) {
    message.textContent = `Sign-in could not start: ${error.message}`
    for (const button of list.querySelectorAll('button')) button.disabled = false
  }
}

const config = await (await fetch('/config.json')).json()
for (const provider of config.providers) {
  const button = document.createElement('button')
  button.type = 'button'
  button.textContent = `Sign in with ${provider}`
  button.addEventListener('click', () => { signIn(provider) })
  list.append(button)
}
