#!/usr/bin/env bash
# Makes sure PostgreSQL accepts DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/test).
# When nothing listens on a loopback host, it starts the machine's first Debian cluster, then
# creates the database and sets the user's password when they are missing. Needs node_modules (pg).
set -euo pipefail
cd "$(dirname "$0")/.."

url="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"

# Exits 0 when a query runs, 2 when the server responds but rejects the login or the database, 1 when nothing listens.
probe () {
  node -e '
    const { Client } = require("pg")
    const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 2000 })
    client.connect()
      .then(() => client.query("SELECT 1"))
      .then(() => client.end().then(() => process.exit(0)))
      .catch((error) => process.exit(error.code === "ECONNREFUSED" || error.message.includes("timeout") ? 1 : 2))
  ' "$url"
}

status=0
probe || status=$?
[ "$status" -eq 0 ] && exit 0

read -r host port database user password < <(node -e '
  const url = new URL(process.argv[1])
  console.log(url.hostname, url.port || "5432", url.pathname.slice(1) || "postgres", decodeURIComponent(url.username || "postgres"), decodeURIComponent(url.password || "-"))
' "$url")
case "$host" in
  127.0.0.1|localhost) ;;
  *) echo "PostgreSQL at $host:$port rejected $url, and only a loopback one can be set up here." >&2; exit 1 ;;
esac

if [ "$status" -eq 1 ]; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "No PostgreSQL listens on $host:$port and none is installed (Debian/Ubuntu: apt-get install postgresql)." >&2
    exit 1
  fi
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  echo "Starting PostgreSQL $version (cluster main)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 100); do
    status=0
    probe || status=$?
    [ "$status" -ne 1 ] && break
    sleep 0.1
  done
  [ "$status" -eq 0 ] && exit 0
fi

# The server runs but refuses the login or the database: set them up as the postgres superuser.
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL rejected $url; create the database and user, or set DATABASE_URL." >&2
  exit 1
fi
echo "Creating database $database for user $user"
if [ "$password" != "-" ]; then
  su postgres -c "psql -q -c \"ALTER USER $user PASSWORD '$password'\"" 2>/dev/null || su postgres -c "psql -q -c \"CREATE USER $user SUPERUSER PASSWORD '$password'\""
fi
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname = '$database'\"" | grep -q 1 || su postgres -c "createdb -O $user $database"
probe
