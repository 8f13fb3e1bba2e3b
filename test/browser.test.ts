import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { startSpaExample, type SpaExample } from '../examples/spa/server.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Flags that keep Chromium off the network and working as root in a container.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

// CI installs Chromium, so there its absence is a failure. Elsewhere the test prints why it skips.
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `Chromium not found at ${CHROMIUM}; install the chromium package to run this test` : false

describe('browser sign-in through the example front end', { skip }, () => {
  let example: SpaExample
  let browser: Browser

  before(async () => {
    example = await startSpaExample()
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  })

  after(async () => {
    await browser?.close()
    await example?.close()
  })

  it('signs in at the local provider and shows the user', async () => {
    const page = await browser.newPage()
    await page.goto(example.url)
    await page.getByRole('button', { name: 'Sign in with local' }).click()

    // The provider's development sign-in and consent pages.
    await page.waitForURL((url) => url.origin === example.providerUrl)
    await page.locator('input[name="login"]').fill('browser-user')
    await page.locator('input[name="password"]').fill('any-password')
    await page.locator('button[type="submit"]').click()
    await page.getByRole('button', { name: 'Continue' }).click()

    await page.waitForURL(`${example.url}/callback.html**`)
    await page.getByRole('heading', { name: 'Signed in' }).waitFor()
    const user = JSON.parse(await page.locator('#user').innerText())
    assert.equal(user.id, 'browser-user')
    assert.equal(user.email, 'browser-user@example.test')
    const claims = JSON.parse(await page.locator('#claims').innerText())
    assert.equal(claims.sub, 'browser-user')

    mkdirSync('test-artifacts', { recursive: true })
    await page.screenshot({ path: 'test-artifacts/spa-signed-in.png', fullPage: true })
    await page.close()
  })

  it('explains a callback that this tab did not start', async () => {
    const page = await browser.newPage()
    await page.goto(`${example.url}/callback.html?code=stolen-code&state=someone-elses-state`)
    await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor()
    assert.equal(await page.locator('#message').innerText(), 'This sign-in was not started in this tab. Start again from the first page.')
    await page.close()
  })

  it('explains a sign-in cancelled at the provider', async () => {
    const page = await browser.newPage()
    await page.goto(example.url)
    await page.getByRole('button', { name: 'Sign in with local' }).click()
    await page.waitForURL((url) => url.origin === example.providerUrl)
    // Back on the app's origin, the page receives what a provider sends when the user declines.
    await page.goto(`${example.url}/`)
    const state = await page.evaluate('sessionStorage.getItem("state")')
    await page.goto(`${example.url}/callback.html?error=access_denied&state=${String(state)}`)
    await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor()
    assert.equal(await page.locator('#message').innerText(), 'Sign-in was cancelled at the provider.')
    await page.close()
  })
})
