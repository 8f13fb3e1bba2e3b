#!/usr/bin/env bash
# Starts a three-master Redis Cluster on 127.0.0.1:7001-7003 for the example, with its files in
# ./cluster-data. Stop it with: redis-cli -p 7001 shutdown nosave (and 7002, 7003).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p cluster-data
for port in 7001 7002 7003; do
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$PWD/cluster-data" \
    --cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 5000 \
    --appendonly yes --appendfilename "appendonly-$port.aof" --logfile "$PWD/cluster-data/redis-$port.log"
done
sleep 1
redis-cli --cluster create 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 --cluster-replicas 0 --cluster-yes
