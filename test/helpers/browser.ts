/**
 * Headless Chromium for the web UI's browser tests: Debian's /usr/bin/chromium (or CHROMIUM_BIN)
 * through playwright-core, no browser download. Screenshots go to ARTIFACTS.
 *   const launching = launchBrowser()   // start it while the fixtures start
 *   ... const browser = await launching
 */
import {existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {chromium, type Browser} from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'
export const ARTIFACTS = path.resolve('test-artifacts/ui')

/**
 * Checks, before anything starts, that Chromium and the built UI are there (a missing one is an
 * error: scripts/install.sh installs Chromium, the build bundles the UI), then launches it.
 */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: scripts/install.sh installs Debian's chromium (or set CHROMIUM_BIN)`)
  if (!existsSync(path.resolve('dist/web/index.html'))) throw new Error('dist/web is missing: run `npm run build` (it bundles the UI)')
  mkdirSync(ARTIFACTS, {recursive: true})
  return chromium.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']})
}
