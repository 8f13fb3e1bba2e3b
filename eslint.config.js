import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**', 'test-artifacts/**', 'examples/redis-cluster/cluster-data/**', '.snippets/**']
  }),
  {
    // The example front end runs in the browser.
    files: ['examples/spa/public/**/*.js'],
    languageOptions: { globals: globals.browser }
  }
]
