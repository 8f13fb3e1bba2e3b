#!/usr/bin/env bash
# Makes sure a Redis server responds at REDIS_URL (default redis://127.0.0.1:6379), starting a local
# one without persistence when none does and the host is loopback. The tests also need the
# redis-server binary, to start private servers of their own.
set -euo pipefail

url="${REDIS_URL:-redis://127.0.0.1:6379}"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found. Install it (Debian/Ubuntu: apt-get install redis-server) and run again." >&2
  exit 1
fi

# Prints "host port" from the URL; handles credentials, rediss:// and bracketed IPv6 hosts.
read -r host port < <(node -e '
  const url = new URL(process.argv[1])
  console.log(url.hostname.replace(/^\[|\]$/g, ""), url.port || "6379")
' "$url")

# A server responds when PING gets +PONG, or -NOAUTH from a server that wants a password.
answers () {
  node -e '
    const socket = require("node:net").connect(Number(process.argv[2]), process.argv[1])
    socket.setTimeout(1000, () => process.exit(1))
    socket.on("error", () => process.exit(1))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => process.exit(/^(\+PONG|-NOAUTH)/.test(String(data)) ? 0 : 1))
  ' "$host" "$port"
}

if answers; then
  exit 0
fi
case "$host" in
  127.0.0.1|localhost|::1) ;;
  *) echo "No Redis responds at $host:$port, and only a loopback one can be started here." >&2; exit 1 ;;
esac
log="${TMPDIR:-/tmp}/fastify-social-auth-redis.log"
echo "Starting redis-server on 127.0.0.1:$port (no persistence, log in $log)"
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no --logfile "$log"
for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.1
done
echo "redis-server did not start; see $log" >&2
exit 1
