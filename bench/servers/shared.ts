/** Settings every benchmark server reads from its environment, set by bench/run.ts. */
export const PORT = Number(process.env.PORT ?? 0)
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback'
/** Loopback stand-in of the OpenID provider, started by bench/run.ts. */
export const ISSUER = process.env.BENCH_ISSUER ?? 'http://127.0.0.1:9700'
export const CLIENT_ID = 'bench-client'
export const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef'
export const KEY_PREFIX = 'social-auth-bench:'

/** Tells the parent process the server listens, on the line it waits for. */
export function announce (address: string): void {
  process.stdout.write(`listening ${address}\n`)
}

// A normal exit on SIGTERM and SIGINT lets `--cpu-prof` write its profile.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0))
