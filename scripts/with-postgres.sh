#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL cluster:
#
#   scripts/with-postgres.sh CMD [ARG...]
#
# initdb into a fresh temporary directory, start the server on 127.0.0.1 and a free port
# (unix socket inside that directory), create role `tally` (trust auth, no password) and
# database `tally_test`, export
#   TALLY_TEST_PG_URL=postgres://tally@127.0.0.1:PORT/tally_test
#   TALLY_TEST_PG_CA=<the CA (PEM) that signed the server's certificate>
# (the server also accepts TLS: sslmode=require&sslrootcert=$TALLY_TEST_PG_CA),
# run CMD, then stop the server and delete the directory. Exits with CMD's status.
# PostgreSQL refuses to run as root: as root (CI) the server runs as the `postgres` OS
# user; otherwise as the calling user. Server binaries: $PG_BINDIR, else Debian's
# /usr/lib/postgresql/<newest>/bin (scripts/setup.sh base installs postgresql-15).
set -euo pipefail

die() {
  echo "with-postgres.sh: $*" >&2
  exit 1
}

[ "$#" -gt 0 ] || die "usage: scripts/with-postgres.sh CMD [ARG...]"

# --- find the server binaries ------------------------------------------------------
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    bindir=/usr/lib/postgresql/15/bin
  else
    # Otherwise the newest installed major version.
    while IFS= read -r d; do
      if [ -x "$d/initdb" ]; then bindir=$d; break; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
  fi
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  die "cannot start PostgreSQL: no server binaries (initdb, pg_ctl) found under" \
    "/usr/lib/postgresql/*/bin; install them with 'scripts/setup.sh base'" \
    "(Debian package postgresql-15) or set PG_BINDIR"
fi
command -v psql >/dev/null 2>&1 || die "cannot start PostgreSQL: psql not found (package postgresql-client-15)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port"
command -v openssl >/dev/null 2>&1 || die "openssl is needed for the server's TLS certificate (package openssl)"

# --- who runs the server -------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 ||
    die "cannot start PostgreSQL as root and there is no 'postgres' OS user (it comes with postgresql-common)"
  command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run the server as 'postgres'"
  pg_user=postgres
  # The server user must be able to reach the directory: keep it out of root's $TMPDIR.
  tmp_parent=/tmp
else
  pg_user=$(id -un)
  tmp_parent=${TMPDIR:-/tmp}
fi

# Runs a command as the server's user, from a directory that user can enter.
as_pg() {
  if [ "$pg_user" = postgres ] && [ "$(id -u)" -eq 0 ]; then
    (cd "$workdir" && runuser -u postgres -- "$@")
  else
    (cd "$workdir" && "$@")
  fi
}

workdir=$(mktemp -d "$tmp_parent/tally-pg.XXXXXX")
datadir=$workdir/data
sockdir=$workdir/sock
logfile=$workdir/server.log
started=false

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ "$started" = true ]; then
    as_pg "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 ||
      as_pg "$bindir/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null 2>&1 || true
    started=false
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$sockdir"
chmod 700 "$workdir"
[ "$pg_user" = "$(id -un)" ] || chown -R "$pg_user:" "$workdir"

show_log() {
  if [ -s "$logfile" ]; then
    echo "---- last lines of the PostgreSQL log ($logfile) ----" >&2
    tail -n 30 "$logfile" >&2
    echo "----" >&2
  fi
}

if ! init_out=$(as_pg "$bindir/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --no-locale --no-sync 2>&1); then
  echo "$init_out" >&2
  die "cannot start PostgreSQL: initdb failed (as user $pg_user, in $datadir)"
fi

# A throwaway CA and a server certificate for 127.0.0.1 it signed, so that TLS
# connections can be tested (checked against the CA, as a private CA is used).
make_certs() {
  local d=$workdir
  openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=Tally test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
      -keyout "$d/server.key" -out "$d/server.csr" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/server.ext" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 3 -extfile "$d/server.ext" -out "$d/server.crt"
}
if ! tls_out=$(make_certs 2>&1); then
  echo "$tls_out" >&2
  die "cannot make the test server's TLS certificate with openssl"
fi
chmod 600 "$workdir/server.key" "$workdir/ca.key"
[ "$pg_user" = "$(id -un)" ] || chown "$pg_user:" "$workdir/server.key" "$workdir/server.crt"

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# The port is free when picked, but another process may take it before the server binds
# it: try a few.
port=
for _ in 1 2 3 4 5; do
  candidate=$(free_port)
  if as_pg "$bindir/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 -o \
    "-h 127.0.0.1 -p $candidate -k $sockdir -c ssl=on -c ssl_cert_file=$workdir/server.crt -c ssl_key_file=$workdir/server.key -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null 2>&1; then
    port=$candidate
    started=true
    break
  fi
  # A failed start may still have left a postmaster behind; make sure it is gone.
  as_pg "$bindir/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null 2>&1 || true
done
if [ -z "$port" ]; then
  show_log
  die "cannot start PostgreSQL (pg_ctl start failed 5 times, as user $pg_user, data in $datadir)"
fi

if ! psql_out=$(psql -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d postgres \
  -c 'CREATE ROLE tally LOGIN SUPERUSER' \
  -c 'CREATE DATABASE tally_test OWNER tally' 2>&1); then
  echo "$psql_out" >&2
  show_log
  die "PostgreSQL started on 127.0.0.1:$port but creating role tally / database tally_test failed"
fi

export TALLY_TEST_PG_URL="postgres://tally@127.0.0.1:$port/tally_test"
export TALLY_TEST_PG_CA="$workdir/ca.crt"
echo "with-postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port; TALLY_TEST_PG_URL=$TALLY_TEST_PG_URL" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
