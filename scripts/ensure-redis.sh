#!/usr/bin/env bash
# Makes sure a Redis server answers on REDIS_URL's host and port (default 127.0.0.1:6379), starting
# a local one without persistence when none does. The tests also need the redis-server binary to
# start private servers of their own.
set -euo pipefail

url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#redis://}"
hostport="${hostport%%/*}"
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=6379

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found. Install it (Debian/Ubuntu: apt-get install redis-server) and run again." >&2
  exit 1
fi

answers () {
  node -e '
    const socket = require("node:net").connect(Number(process.argv[2]), process.argv[1])
    socket.setTimeout(1000, () => process.exit(1))
    socket.on("error", () => process.exit(1))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => process.exit(String(data).startsWith("+PONG") ? 0 : 1))
  ' "$host" "$port"
}

if answers; then
  exit 0
fi
case "$host" in
  127.0.0.1|localhost) ;;
  *) echo "No Redis answers at $host:$port, and only a loopback one can be started here." >&2; exit 1 ;;
esac
echo "Starting redis-server on $host:$port (no persistence)"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --logfile "${TMPDIR:-/tmp}/fastify-social-auth-redis.log"
for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.1
done
echo "redis-server did not start; see ${TMPDIR:-/tmp}/fastify-social-auth-redis.log" >&2
exit 1
