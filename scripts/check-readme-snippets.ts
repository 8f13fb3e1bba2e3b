/**
 * Type-checks every TypeScript and JavaScript snippet of the README, so none drifts from the API.
 * Each snippet becomes a module under .snippets/ with the declarations that snippets assume
 * (`app`, `users`, `redis`, …), and tsc checks them all in strict mode.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const folder = '.snippets'
const readme = readFileSync('README.md', 'utf8')
const blocks = [...readme.replace(/\r\n/g, '\n').matchAll(/^( *)```(ts|typescript|js|javascript)\n([\s\S]*?)^\1```$/gm)].map((match, index) => ({
  index,
  language: (match[2] as string).startsWith('t') ? 'ts' as const : 'js' as const,
  code: (match[3] as string).split('\n').map((line) => line.slice((match[1] as string).length)).join('\n')
}))

// Declarations that the README's snippets assume: an app, a user store, a Redis client and request data.
const prelude = `import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Identity } from 'fastify-social-auth'

declare global {
  const app: FastifyInstance
  const redis: Redis
  const users: { findOrCreate: (identity: Identity) => Promise<{ id: number }> }
  const refresh: string
  const secret: string
}
`

if (blocks.length < 5) {
  process.stderr.write(`found ${blocks.length} TypeScript or JavaScript snippets in README.md, expected at least 5\n`)
  process.exit(1)
}
rmSync(folder, { recursive: true, force: true })
mkdirSync(folder)
writeFileSync(`${folder}/prelude.d.ts`, prelude)
for (const block of blocks) {
  // Each snippet imports what it uses, as a reader copying it needs.
  const name = `readme-${String(block.index + 1).padStart(2, '0')}.${block.language}`
  writeFileSync(`${folder}/${name}`, `${block.code}\nexport {}\n`)
}
writeFileSync(`${folder}/tsconfig.json`, JSON.stringify({
  extends: '../tsconfig.json',
  compilerOptions: { noEmit: true, allowJs: true, checkJs: true, lib: ['ES2024', 'DOM'], rootDir: '.', noUnusedLocals: false },
  include: ['./*.ts', './*.js']
}, null, 2))

const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', `${folder}/tsconfig.json`], { encoding: 'utf8' })
process.stdout.write(result.stdout + result.stderr)
if (result.status !== 0) {
  process.stderr.write(`README snippets failed to type-check; the files are in ${folder}/\n`)
  process.exit(1)
}
process.stdout.write(`${blocks.length} README snippets type-check\n`)
