#!/usr/bin/env bash
# A private PostgreSQL instance per data folder, for development and tests.
# It never touches a system cluster: everything lives in DIR.
#
#   pg.sh ensure-installed      install PostgreSQL (apt) when no binaries are found
#   pg.sh start DIR PORT        init DIR/pgdata if needed, start on 127.0.0.1:PORT, create db "crm"
#   pg.sh stop DIR              fast shutdown; nothing to do when not running
#   pg.sh status DIR            exit 0 when the instance in DIR is running
#   pg.sh url DIR PORT DBNAME   print a postgresql:// URL for it
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

# Binaries may be on PATH (often symlinks into a versioned dir) or only in
# Debian's versioned dirs, which are never on PATH. A cluster must be run by
# the major version that created it, so that version wins when it is present.
find_bin() {
  local data=${1:-} d
  if [[ -n $data && -f $data/PG_VERSION && -x /usr/lib/postgresql/$(<"$data/PG_VERSION")/bin/postgres ]]; then
    echo "/usr/lib/postgresql/$(<"$data/PG_VERSION")/bin"; return
  fi
  if command -v pg_ctl >/dev/null; then
    d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    [[ -x $d/initdb && -x $d/postgres ]] && { echo "$d"; return; }
  fi
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n $d && -x $d/pg_ctl && -x $d/initdb ]] && echo "$d"
}

ensure_installed() {
  find_bin >/dev/null && return
  [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed; run as root or: sudo apt-get install -y postgresql"
  echo "pg.sh: installing PostgreSQL with apt-get..." >&2
  local log; log=$(mktemp)
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2; rm -f "$log"; die "apt-get install postgresql failed"
  fi
  rm -f "$log"
  find_bin >/dev/null || die "PostgreSQL installed but initdb/pg_ctl not found"
}

# PostgreSQL refuses to run as root, so root runs it as "postgres".
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f $1/pgdata/PG_VERSION ]] && as_pg "$(find_bin "$1/pgdata")/pg_ctl" status -D "$1/pgdata" >/dev/null 2>&1; }

start() {
  local dir=$1 port=$2 data bin locale
  [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
  ensure_installed
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  data=$dir/pgdata
  if running "$dir"; then
    # postmaster.pid line 4 is the port it listens on
    [[ $(sed -n 4p "$data/postmaster.pid") == "$port" ]] \
      || die "PostgreSQL in $dir is already running on port $(sed -n 4p "$data/postmaster.pid"), not $port"
    return
  fi
  port_busy "$port" && die "port $port on 127.0.0.1 is already in use by another program; choose another port"

  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
    [[ $(stat -c %U "$dir") == postgres ]] || chown -R postgres: "$dir"
    as_pg test -w "$dir" || die "user postgres cannot write $dir (is a parent folder private, e.g. under /root?); use a data folder elsewhere"
  fi

  # An interrupted initdb leaves a folder without PG_VERSION; start over.
  if [[ ! -f $data/PG_VERSION ]]; then
    rm -rf "$data"
    bin=$(find_bin)
    locale=C; grep -qix 'c.utf-\?8' <(locale -a 2>/dev/null) && locale=C.UTF-8
    as_pg "$bin/initdb" -D "$data" -A trust -U postgres --encoding=UTF8 --locale="$locale" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed (log: $dir/initdb.log)"; }
    echo "include_if_exists = 'crm.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
  fi
  bin=$(find_bin "$data")

  # Rewritten at every start so DIR and PORT may change between runs.
  # A Unix socket path is limited to ~107 bytes; past that, TCP only.
  local sockdir=$dir
  (( ${#dir} > 90 )) && sockdir=''
  as_pg tee "$data/crm.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '${sockdir//\'/\'\'}'
max_connections = 300
shared_buffers = 256MB
work_mem = 8MB
maintenance_work_mem = 128MB
max_wal_size = 2GB
log_line_prefix = '%m [%p] %d '
log_min_duration_statement = 1000
${CRM_PG_EXTRA_CONF:-}
EOF
  if ! as_pg "$bin/pg_ctl" start -s -w -t 60 -D "$data" -l "$dir/pg.log" >/dev/null 2>&1; then
    tail -n 20 "$dir/pg.log" >&2 2>/dev/null || true
    die "PostgreSQL failed to start on port $port (log: $dir/pg.log)"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || die "PostgreSQL does not accept connections on port $port (log: $dir/pg.log)"
  if [[ -z $("$bin/psql" -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select 1 from pg_database where datname = 'crm'") ]]; then
    "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'create database crm' >/dev/null
  fi
}

stop() {
  local dir=$1
  running "$dir" || return 0
  as_pg "$(find_bin "$dir/pgdata")/pg_ctl" stop -s -w -t 60 -m fast -D "$dir/pgdata" >/dev/null
}

usage() { echo "usage: pg.sh ensure-installed | start DIR PORT | stop DIR | status DIR | url DIR PORT DBNAME" >&2; exit 2; }

case "${1:-} $#" in
  "ensure-installed 1") ensure_installed ;;
  "start 3") start "$2" "$3" ;;
  "stop 2") stop "$2" ;;
  "status 2") running "$2" ;;
  "url 4") echo "postgresql://postgres@127.0.0.1:$3/$4" ;;
  *) usage ;;
esac
