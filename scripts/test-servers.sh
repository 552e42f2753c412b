# Throw-away database servers for the tests (sourced by scripts/test): a PostgreSQL and a
# MariaDB of their own, in a temporary directory, on free loopback ports, trust/no-auth, with a
# generated TLS certificate for PostgreSQL's sslmode tests — started from whatever server
# binaries are installed and stopped when the script exits. Nothing depends on a system server,
# its authentication or its certificate.
#
#   start_test_servers   # exports AUTHFERRY_TEST_PG_PORT, AUTHFERRY_TEST_PG_CERT,
#                        # AUTHFERRY_PG_TLS_REQUIRED, AUTHFERRY_TEST_MYSQL_URL
#
# AUTHFERRY_TEST_SYSTEM_SERVERS=1 skips this and uses servers already listening on
# 127.0.0.1:5432 (postgres, trust) and :3306 (root, no password).

test_servers_dir=""

# How to get a missing server, per platform.
install_hint() {
  case "$1" in
    postgres) echo "PostgreSQL's server binaries (initdb, pg_ctl) were not found. Install them: Debian/Ubuntu \`apt install postgresql\`, Fedora \`dnf install postgresql-server\`, macOS \`brew install postgresql@15\` (or put their bin directory on PATH)." ;;
    mariadb) echo "MariaDB's server binaries (mariadbd, mariadb-install-db) were not found. Install them: Debian/Ubuntu \`apt install mariadb-server\`, Fedora \`dnf install mariadb-server\`, macOS \`brew install mariadb\`." ;;
    openssl) echo "openssl was not found (it makes the test server's TLS certificate): Debian/Ubuntu \`apt install openssl\`, Fedora \`dnf install openssl\`, macOS \`brew install openssl\`." ;;
  esac
}

# The newest installed copy of a PostgreSQL program: on PATH, or in the usual package places.
find_pg_program() {
  command -v "$1" 2>/dev/null && return 0
  ls -d /usr/lib/postgresql/*/bin/"$1" /usr/pgsql-*/bin/"$1" /usr/local/opt/postgresql*/bin/"$1" \
    /opt/homebrew/opt/postgresql*/bin/"$1" /usr/local/pgsql/bin/"$1" 2>/dev/null | sort -V | tail -n 1 | grep .
}

find_program() {
  local name
  for name in "$@"; do
    command -v "$name" 2>/dev/null && return 0
    for dir in /usr/sbin /usr/local/sbin /usr/local/opt/mariadb/bin /opt/homebrew/opt/mariadb/bin; do
      [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
  done
  return 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Servers refuse to run as root: as root, run them as an unprivileged account that owns the
# directory.
as_server_user() {
  local user="$1"; shift
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null; then runuser -u "$user" -- "$@"; else su "$user" -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

server_account() {
  local candidate
  for candidate in "$@" nobody; do
    id "$candidate" >/dev/null 2>&1 && { echo "$candidate"; return 0; }
  done
  return 1
}

start_test_postgres() {
  local initdb pg_ctl bindir data port user
  initdb=$(find_pg_program initdb) || { install_hint postgres >&2; return 1; }
  # The package's own directory (PATH may hold a lone symbolic link to initdb).
  bindir=$(dirname "$(readlink -f "$initdb")")
  pg_ctl="$bindir/pg_ctl"
  command -v openssl >/dev/null || { install_hint openssl >&2; return 1; }
  local home="$test_servers_dir/pg"
  data="$home/data"
  port=$(free_port)
  user=$(server_account postgres)
  mkdir -p "$home"
  [ "$(id -u)" = 0 ] && chown "$user" "$home"
  as_server_user "$user" "$initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C \
    >"$home/initdb.log" 2>&1 || { cat "$home/initdb.log" >&2; return 1; }
  # A certificate of our own for `localhost`, from a CA of our own (rustls refuses a CA
  # certificate used as the server's): the sslmode tests check verify-full against the CA.
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=authferry test CA" \
      -keyout "$home/ca.key" -out "$home/ca.crt" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$data/server.key" -out "$home/server.csr" &&
      printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$home/server.ext" &&
      openssl x509 -req -in "$home/server.csr" -CA "$home/ca.crt" -CAkey "$home/ca.key" \
        -CAcreateserial -days 2 -extfile "$home/server.ext" -out "$data/server.crt"
  } >/dev/null 2>&1 || { echo "openssl could not make the test server's certificate" >&2; return 1; }
  chmod 600 "$data/server.key" "$home/ca.key"
  [ "$(id -u)" = 0 ] && chown "$user" "$data/server.key" "$data/server.crt"
  # Throw-away: no fsync; loopback only; the socket in our directory, not /var/run.
  as_server_user "$user" "$pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 \
    -o "-p $port -k $home -c listen_addresses=localhost -c ssl=on -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { tail -n 20 "$home/postgres.log" >&2; return 1; }
  test_pg_stop="as_server_user $user $pg_ctl -D $data -m immediate stop"
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  export AUTHFERRY_TEST_PG_PORT="$port"
  export AUTHFERRY_TEST_PG_CERT="$home/ca.crt"
  export AUTHFERRY_PG_TLS_REQUIRED=1
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port" >&2
}

start_test_mariadb() {
  local install mariadbd admin data port user
  install=$(find_program mariadb-install-db mysql_install_db) || { install_hint mariadb >&2; return 1; }
  mariadbd=$(find_program mariadbd mysqld) || { install_hint mariadb >&2; return 1; }
  admin=$(find_program mariadb-admin mysqladmin) || { install_hint mariadb >&2; return 1; }
  local home="$test_servers_dir/mariadb"
  data="$home/data"
  port=$(free_port)
  user=$(server_account mysql)
  mkdir -p "$home"
  [ "$(id -u)" = 0 ] && chown "$user" "$home"
  as_server_user "$user" "$install" --no-defaults --datadir="$data" --auth-root-authentication-method=normal \
    --skip-test-db >"$home/install.log" 2>&1 \
    || { tail -n 20 "$home/install.log" >&2; return 1; }
  # No grant tables: root without a password over TCP, which the tests expect.
  as_server_user "$user" "$mariadbd" --no-defaults --datadir="$data" --port="$port" \
    --bind-address=127.0.0.1 --socket="$home/mariadb.sock" \
    --pid-file="$home/mariadb.pid" --skip-grant-tables --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=0 >"$home/server.log" 2>&1 &
  test_mariadb_pid=$!
  for _ in $(seq 1 60); do
    "$admin" --no-defaults -h 127.0.0.1 -P "$port" -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  "$admin" --no-defaults -h 127.0.0.1 -P "$port" -uroot ping >/dev/null 2>&1 \
    || { tail -n 20 "$home/server.log" >&2; return 1; }
  test_mariadb_stop="$admin --no-defaults -h 127.0.0.1 -P $port -uroot shutdown"
  export AUTHFERRY_TEST_MYSQL_URL="mysql://root@127.0.0.1:$port"
  echo "MariaDB for the tests on 127.0.0.1:$port" >&2
}

stop_test_servers() {
  [ -n "${test_pg_stop:-}" ] && $test_pg_stop >/dev/null 2>&1
  # runuser does not pass a signal on: the server is asked to shut down instead.
  [ -n "${test_mariadb_stop:-}" ] && $test_mariadb_stop >/dev/null 2>&1
  [ -n "${test_mariadb_pid:-}" ] && wait "$test_mariadb_pid" 2>/dev/null
  [ -n "$test_servers_dir" ] && rm -rf "$test_servers_dir"
  return 0
}

start_test_servers() {
  if [ -n "${AUTHFERRY_TEST_SYSTEM_SERVERS:-}" ]; then
    export AUTHFERRY_PG_TLS_REQUIRED=1
    return 0
  fi
  test_servers_dir=$(mktemp -d "${TMPDIR:-/tmp}/authferry-test-servers.XXXXXX")
  chmod 755 "$test_servers_dir"
  trap stop_test_servers EXIT
  start_test_postgres && start_test_mariadb
}
