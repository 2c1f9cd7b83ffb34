#!/usr/bin/env bash
# Real servers for grading: a Redis, a PostgreSQL primary and one streaming replica, on loopback.
#
#   tests/real-servers/servers.sh start    create and start them (fresh data every time)
#   tests/real-servers/servers.sh env      print the variables the graders read:  eval "$(... env)"
#   tests/real-servers/servers.sh status   show what is running
#   tests/real-servers/servers.sh stop     stop them and delete their data
#
# Needs redis-server/redis-cli and PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup, psql):
#   Debian/Ubuntu: apt-get install redis-server postgresql      macOS: brew install redis postgresql@15
# Everything lives in $RJ_SERVERS_DIR (default /tmp/request-journey-servers). Ports:
#   Redis 6390, primary 5433, replica 5434 (override with RJ_REDIS_PORT, RJ_PRIMARY_PORT, RJ_REPLICA_PORT).
# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
set -euo pipefail

DIR=${RJ_SERVERS_DIR:-/tmp/request-journey-servers}
REDIS_PORT=${RJ_REDIS_PORT:-6390}
PRIMARY_PORT=${RJ_PRIMARY_PORT:-5433}
REPLICA_PORT=${RJ_REPLICA_PORT:-5434}
HOST=127.0.0.1
PG_DIR="$DIR/postgres"

say() { printf 'servers.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL's server binaries: pg_config knows where they are; Debian keeps them out of PATH.
pg_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  die "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql, or brew install postgresql@15"
}

# Runs a PostgreSQL command as the postgres user when we are root (initdb and postgres refuse root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    command -v runuser >/dev/null 2>&1 || die "running as root needs runuser to start PostgreSQL as the postgres user"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

redis_cli() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }
psql_at() { "$BIN/psql" -X -q -h "$HOST" -p "$1" -U postgres -d postgres -Atc "$2"; }

# Waits up to $2 seconds for the check in $1 (a function name) to succeed.
wait_for() {
  local check=$1 seconds=$2 what=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    if "$check" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "timed out after ${seconds}s waiting for $what"
}

redis_up() { [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }
primary_up() { "$BIN/pg_isready" -q -h "$HOST" -p "$PRIMARY_PORT"; }
replica_up() { "$BIN/pg_isready" -q -h "$HOST" -p "$REPLICA_PORT"; }
replica_streaming() {
  [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ] &&
    [ "$(psql_at "$REPLICA_PORT" "SELECT pg_is_in_recovery()")" = t ]
}

port_taken() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

print_env() {
  cat <<ENV
export RJ_REDIS_URL=redis://$HOST:$REDIS_PORT
export RJ_DATABASE_URL=postgres://postgres@$HOST:$PRIMARY_PORT/postgres
export RJ_DATABASE_REPLICA_URLS=postgres://postgres@$HOST:$REPLICA_PORT/postgres
ENV
}

pg_config_lines() {
  # Test servers: loopback only, no durability needed, enough senders for a replica.
  cat <<CONF

# request-journey test server
listen_addresses = '$HOST'
port = $1
unix_socket_directories = '$PG_DIR'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
full_page_writes = off
max_connections = 200
CONF
}

start() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed: apt-get install redis-server, or brew install redis"
  command -v redis-cli >/dev/null 2>&1 || die "redis-cli is not installed (it comes with redis-server / redis-tools)"
  BIN=$(pg_bindir)
  if [ -f "$DIR/started" ] && redis_up && primary_up && replica_up; then
    say "already running from $DIR (stop first for fresh servers)"
    print_env
    return
  fi
  if [ -d "$DIR" ]; then
    say "clearing what an earlier start left in $DIR"
    stop >/dev/null 2>&1 || true
  fi
  for port in "$REDIS_PORT" "$PRIMARY_PORT" "$REPLICA_PORT"; do
    port_taken "$port" && die "port $port on $HOST is already in use (set RJ_REDIS_PORT/RJ_PRIMARY_PORT/RJ_REPLICA_PORT)"
  done
  rm -rf "$DIR"
  mkdir -p "$DIR/redis" "$PG_DIR"
  chmod 755 "$DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi

  say "Redis on $HOST:$REDIS_PORT"
  redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize yes --dir "$DIR/redis" \
    --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log" --save '' --appendonly no >/dev/null
  wait_for redis_up 10 "Redis (log: $DIR/redis/redis.log)"

  say "PostgreSQL primary on $HOST:$PRIMARY_PORT ($BIN)"
  as_pg "$BIN/initdb" -D "$PG_DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
    die "initdb failed: see $DIR/initdb.log"
  pg_config_lines "$PRIMARY_PORT" | as_pg tee -a "$PG_DIR/primary/postgresql.conf" >/dev/null
  # Trust on loopback only, for ordinary connections and for replication.
  printf '%s\n' \
    'local all         all                trust' \
    "host  all         all  $HOST/32     trust" \
    'host  all         all  ::1/128      trust' \
    'local replication all                trust' \
    "host  replication all  $HOST/32     trust" \
    'host  replication all  ::1/128      trust' | as_pg tee "$PG_DIR/primary/pg_hba.conf" >/dev/null
  as_pg "$BIN/pg_ctl" -D "$PG_DIR/primary" -l "$PG_DIR/primary.log" -w -t 30 start >/dev/null ||
    die "the primary did not start: see $PG_DIR/primary.log"

  say "PostgreSQL streaming replica on $HOST:$REPLICA_PORT (pg_basebackup -R)"
  as_pg "$BIN/pg_basebackup" -h "$HOST" -p "$PRIMARY_PORT" -U postgres -D "$PG_DIR/replica" \
    -R -X stream --checkpoint=fast >"$DIR/basebackup.log" 2>&1 || die "pg_basebackup failed: see $DIR/basebackup.log"
  printf '\n# the replica\nport = %s\n' "$REPLICA_PORT" | as_pg tee -a "$PG_DIR/replica/postgresql.conf" >/dev/null
  as_pg "$BIN/pg_ctl" -D "$PG_DIR/replica" -l "$PG_DIR/replica.log" -w -t 30 start >/dev/null ||
    die "the replica did not start: see $PG_DIR/replica.log"
  wait_for primary_up 30 "the primary"
  wait_for replica_up 30 "the replica"
  wait_for replica_streaming 30 "the replica to stream from the primary (log: $PG_DIR/replica.log)"

  touch "$DIR/started"
  say "ready: Redis, primary and a streaming replica. Point the graders at them with:"
  say "  eval \"\$($0 env)\""
  print_env
}

stop() {
  local bin
  bin=$(pg_bindir 2>/dev/null || true)
  for node in replica primary; do
    if [ -n "$bin" ] && [ -f "$PG_DIR/$node/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$PG_DIR/$node" -m fast -w stop >/dev/null 2>&1 || say "could not stop the $node cleanly"
    fi
  done
  if [ -f "$DIR/redis/redis.pid" ]; then
    redis_cli shutdown nosave >/dev/null 2>&1 || kill "$(cat "$DIR/redis/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$DIR"
  say "stopped; $DIR removed"
}

status() {
  BIN=$(pg_bindir)
  printf 'Redis   %s:%s  %s\n' "$HOST" "$REDIS_PORT" "$(redis_up && echo up || echo down)"
  printf 'primary %s:%s  %s\n' "$HOST" "$PRIMARY_PORT" "$(primary_up && echo up || echo down)"
  printf 'replica %s:%s  %s\n' "$HOST" "$REPLICA_PORT" \
    "$(replica_streaming && echo 'up, streaming' || (replica_up && echo 'up, not streaming' || echo down))"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) print_env ;;
status) status ;;
*)
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
