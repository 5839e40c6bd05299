#!/usr/bin/env bash
# Brings up, on loopback only, what authring's tests, benchmarks and demo need:
#   * memcached instances on 127.0.0.1:11311.. (daemonized, pid files in .services/)
#   * MariaDB on 127.0.0.1:3306 (started only if nothing listens there) with a TCP
#     login authring/authring that has all privileges
#   * with --interop: the packages the interop tests use (nutcracker, libmemcached-dev,
#     a C compiler, kamailio + its mysql/memcached modules, sipp)
# Idempotent: what already runs is left alone. See --help and docs/services.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash scripts/services.sh [options]      (npm run services -- [options])

Starts what authring's tests, benchmarks and demo need, on 127.0.0.1 only:
  memcached   127.0.0.1:11311, :11312, :11313 (daemonized; pid files/logs in .services/)
  MariaDB     127.0.0.1:3306, started only if nothing listens there; always ensures
              the login authring/authring (hosts 127.0.0.1, localhost, ::1)
Missing Debian packages are installed with apt-get (through sudo when not root), including
sasl2-bin, libsasl2-modules and openssl for the memcached SASL/TLS tests.
Running it again is cheap and starts nothing new.

Options:
  --schema        make Kamailio's MySQL schema files available for the demo: if the package
                  kamailio-mysql-modules is not installed, download it (apt-get download)
                  and unpack only its files into .services/kamailio-schema/ (no daemon, no
                  install); --interop installs the package itself
  --interop       also install the interop-test packages: nutcracker, libmemcached-dev,
                  build-essential (if there is no C compiler), kamailio,
                  kamailio-mysql-modules, kamailio-memcached-modules, sip-tester (sipp),
                  mariadb-server (for tests that run a private MariaDB), openssl
  --memcached N   run N memcached instances (consecutive ports from the base; default 3)
  --stop          stop the memcached instances this script started, and MariaDB only if
                  this script started it
  --quiet         print only a one-line summary and errors
  -h, --help      show this help

Environment:
  AUTHRING_MEMCACHED_BASE_PORT  first memcached port (default 11311)
  AUTHRING_MARIADB_PORT         MariaDB port to check/start (default 3306)
  AUTHRING_MARIADB_DATADIR      run a private MariaDB from this data directory instead of
                                the system one (socket, pid and error log go inside it)
EOF
}

# ---------------------------------------------------------------------------------------
# Options and settings
# ---------------------------------------------------------------------------------------
INTEROP=0
SCHEMA=0
QUIET=0
STOP=0
MEMCACHED_COUNT=3

while (($#)); do
  case "$1" in
    --interop) INTEROP=1 ;;
    --schema) SCHEMA=1 ;;
    --quiet | -q) QUIET=1 ;;
    --stop) STOP=1 ;;
    --memcached)
      if (($# < 2)); then
        echo "services.sh: --memcached needs a number" >&2
        exit 2
      fi
      MEMCACHED_COUNT=$2
      shift
      ;;
    --memcached=*) MEMCACHED_COUNT=${1#--memcached=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "services.sh: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

MEMCACHED_BASE_PORT=${AUTHRING_MEMCACHED_BASE_PORT:-11311}
MARIADB_PORT=${AUTHRING_MARIADB_PORT:-3306}
MARIADB_PRIVATE_DATADIR=${AUTHRING_MARIADB_DATADIR:-}
HOST=127.0.0.1

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
if ! is_uint "$MEMCACHED_COUNT" || ((MEMCACHED_COUNT < 1 || MEMCACHED_COUNT > 100)); then
  echo "services.sh: --memcached expects a number from 1 to 100, got '$MEMCACHED_COUNT'" >&2
  exit 2
fi
if ! is_uint "$MEMCACHED_BASE_PORT" || ((MEMCACHED_BASE_PORT < 1024 || MEMCACHED_BASE_PORT + MEMCACHED_COUNT - 1 > 65535)); then
  echo "services.sh: AUTHRING_MEMCACHED_BASE_PORT must be a port from 1024 (got '$MEMCACHED_BASE_PORT')" >&2
  exit 2
fi
if ! is_uint "$MARIADB_PORT" || ((MARIADB_PORT < 1 || MARIADB_PORT > 65535)); then
  echo "services.sh: AUTHRING_MARIADB_PORT must be a port number (got '$MARIADB_PORT')" >&2
  exit 2
fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVC_DIR="$REPO_ROOT/.services"
MARIADB_MARKER="$SVC_DIR/mariadb.started" # exists only while a MariaDB we started runs
MARIADB_PIDFILE="$SVC_DIR/mariadb.pid"
MARIADB_LOG="$SVC_DIR/mariadb.log"
APT_LOG="$SVC_DIR/apt.log"

# Test hooks (not for normal use): pretend these packages are missing / use another apt-get.
PRETEND_MISSING=" ${AUTHRING_SERVICES_PRETEND_MISSING:-} "
APT_GET=${AUTHRING_SERVICES_APT_GET:-apt-get}

# Root helper: nothing when root, sudo otherwise (empty array => no way to become root).
IS_ROOT=0
[[ $(id -u) == 0 ]] && IS_ROOT=1
AS_ROOT=()
CAN_ROOT=1
if ((!IS_ROOT)); then
  if command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]]; then AS_ROOT=(sudo); else AS_ROOT=(sudo -n); fi
  else
    CAN_ROOT=0
  fi
fi

# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------
ERRORS=()
ALREADY=()
STARTED=()
NOTES=()

say() { ((QUIET)) || printf '%s\n' "$*"; }
err() {
  ERRORS+=("$*")
  printf 'services.sh: error: %s\n' "$*" >&2
}
die() {
  printf 'services.sh: error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------------------

# True if something accepts TCP connections on 127.0.0.1:$1 (loopback connect fails fast).
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# True if a memcached answers "version" on 127.0.0.1:$1 within 2 s.
memcached_answers() {
  (
    exec 3<>"/dev/tcp/$HOST/$1" || exit 1
    printf 'version\r\n' >&3 || exit 1
    IFS= read -r -t 2 line <&3 || exit 1
    [[ $line == VERSION* ]]
  ) 2>/dev/null
}

# True if pid $1 is alive (a zombie waiting to be reaped counts as dead).
pid_alive() {
  local pid=$1 state
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# True if pid $1 is a live process whose command name is $2.
pid_is() {
  local comm
  pid_alive "$1" || return 1
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  [[ $comm == "$2" ]]
}

find_bin() {
  local name dir
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
    for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin /sbin; do
      if [[ -x $dir/$name ]]; then
        echo "$dir/$name"
        return 0
      fi
    done
  done
  return 1
}

# ---------------------------------------------------------------------------------------
# --stop
# ---------------------------------------------------------------------------------------
stop_services() {
  local stopped=() pidfile pid port name i
  shopt -s nullglob
  for pidfile in "$SVC_DIR"/memcached-*.pid; do
    name=${pidfile##*/}
    port=${name#memcached-}
    port=${port%.pid}
    pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
    if [[ -n $pid ]] && pid_is "$pid" memcached; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
      done
      if pid_alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
      if pid_alive "$pid"; then
        err "memcached on $HOST:$port (pid $pid) did not stop"
        continue
      fi
      stopped+=("memcached $HOST:$port")
    fi
    rm -f "$pidfile"
  done
  shopt -u nullglob

  if [[ -f $MARIADB_MARKER ]]; then
    local mariadbd
    mariadbd=$(find_bin mariadbd mysqld || echo /usr/sbin/mariadbd)
    if [[ -f $MARIADB_PIDFILE ]]; then
      if "${AS_ROOT[@]}" start-stop-daemon --stop --quiet --oknodo --retry TERM/30/KILL/5 \
        --pidfile "$MARIADB_PIDFILE" --exec "$mariadbd"; then
        stopped+=("mariadb $HOST:$(cat "$MARIADB_MARKER" 2>/dev/null || echo "$MARIADB_PORT")")
        rm -f "$MARIADB_MARKER" "$MARIADB_PIDFILE"
      else
        err "could not stop the MariaDB this script started (pid file $MARIADB_PIDFILE)"
      fi
    else
      rm -f "$MARIADB_MARKER"
    fi
  fi

  if ((${#ERRORS[@]})); then
    exit 1
  fi
  if ((${#stopped[@]})); then
    local list
    list=$(printf '%s, ' "${stopped[@]}")
    echo "services: stopped ${list%, }"
  else
    echo "services: nothing to stop (only what scripts/services.sh started is stopped)"
  fi
  exit 0
}

if ((STOP)); then
  stop_services
fi

mkdir -p "$SVC_DIR"

# ---------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------
MARIADB_WAS_UP=0
port_open "$MARIADB_PORT" && MARIADB_WAS_UP=1

WANT=(memcached)
# memcached's SASL (-S) and TLS (-Z) tests: saslpasswd2 writes their sasldb, the PLAIN mechanism
# is a Cyrus SASL plugin, and openssl makes a throwaway CA and certificates.
WANT+=(sasl2-bin libsasl2-modules openssl)
# The client: any mysql/mariadb client will do.
if ! find_bin mariadb mysql >/dev/null; then WANT+=(mariadb-client); fi
if ((!MARIADB_WAS_UP)); then WANT+=(mariadb-server); fi
if ((INTEROP)); then
  WANT+=(nutcracker libmemcached-dev)
  if ! find_bin cc gcc >/dev/null; then WANT+=(build-essential); else WANT+=(libc6-dev); fi
  WANT+=(kamailio kamailio-mysql-modules kamailio-memcached-modules sip-tester)
  # The MySQL TLS test runs a private MariaDB (mariadbd, mariadb-install-db) even when the shared
  # one is not ours.
  if ((MARIADB_WAS_UP)); then WANT+=(mariadb-server); fi
  # openssl (throwaway certificates for the TLS tests) is wanted by every run, above.
fi

# Without dpkg we can only look for the files the packages provide.
probe_without_dpkg() {
  case "$1" in
    memcached) find_bin memcached >/dev/null ;;
    sasl2-bin) find_bin saslpasswd2 >/dev/null ;;
    libsasl2-modules) compgen -G '/usr/lib/*/sasl2/libplain.so*' >/dev/null ;;
    openssl) find_bin openssl >/dev/null ;;
    mariadb-client) find_bin mariadb mysql >/dev/null ;;
    mariadb-server) find_bin mariadbd mysqld >/dev/null ;;
    nutcracker) find_bin nutcracker >/dev/null ;;
    libmemcached-dev) [[ -f /usr/include/libmemcached/memcached.h ]] ;;
    build-essential) find_bin cc gcc >/dev/null ;;
    libc6-dev) [[ -f /usr/include/stdio.h ]] ;;
    kamailio) find_bin kamailio >/dev/null ;;
    kamailio-mysql-modules) compgen -G '/usr/lib*/*kamailio/modules/db_mysql.so' >/dev/null || compgen -G '/usr/lib/*/kamailio/modules/db_mysql.so' >/dev/null ;;
    kamailio-memcached-modules) compgen -G '/usr/lib*/*kamailio/modules/memcached.so' >/dev/null || compgen -G '/usr/lib/*/kamailio/modules/memcached.so' >/dev/null ;;
    sip-tester) find_bin sipp >/dev/null ;;
    openssl) find_bin openssl >/dev/null ;;
    *) return 1 ;;
  esac
}

MISSING=()
if command -v dpkg-query >/dev/null 2>&1; then
  # One dpkg-query for all (same data as dpkg -s); "ii" = installed.
  declare -A INSTALLED=()
  while read -r pkg abbrev; do
    [[ $abbrev == ii* ]] && INSTALLED[${pkg%%:*}]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${WANT[@]}" 2>/dev/null || true)
  for pkg in "${WANT[@]}"; do
    [[ -n ${INSTALLED[$pkg]:-} ]] || MISSING+=("$pkg")
  done
else
  for pkg in "${WANT[@]}"; do
    probe_without_dpkg "$pkg" || MISSING+=("$pkg")
  done
fi
for pkg in "${WANT[@]}"; do
  if [[ $PRETEND_MISSING == *" $pkg "* && " ${MISSING[*]} " != *" $pkg "* ]]; then MISSING+=("$pkg"); fi
done

POLICY_RC=/usr/sbin/policy-rc.d
CREATED_POLICY_RC=0
cleanup() {
  if ((CREATED_POLICY_RC)); then
    "${AS_ROOT[@]}" rm -f "$POLICY_RC" || echo "services.sh: warning: could not remove $POLICY_RC" >&2
    CREATED_POLICY_RC=0
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_packages() {
  local pkgs=("$@")
  if ! command -v "$APT_GET" >/dev/null 2>&1; then
    {
      echo "services.sh: these packages are missing and there is no apt-get to install them:"
      echo "  ${pkgs[*]}"
      echo "Install them with your package manager (Debian/Ubuntu names), then run this again."
    } >&2
    exit 1
  fi
  if ((!CAN_ROOT)); then
    {
      echo "services.sh: these packages are missing, and installing them needs root (no sudo here):"
      echo "  apt-get install ${pkgs[*]}"
    } >&2
    exit 1
  fi
  say "Installing: ${pkgs[*]}"
  # Keep package scripts from starting daemons (memcached on 11211, kamailio, mariadb):
  # invoke-rc.d and deb-systemd-invoke honour a policy-rc.d that exits 101.
  if [[ ! -e $POLICY_RC ]]; then
    # Set the flag first so the EXIT trap removes a half-written file too.
    CREATED_POLICY_RC=1
    printf '#!/bin/sh\n# temporary, from authring scripts/services.sh\nexit 101\n' |
      "${AS_ROOT[@]}" tee "$POLICY_RC" >/dev/null
    "${AS_ROOT[@]}" chmod 755 "$POLICY_RC"
  fi
  local apt=("${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive "$APT_GET")
  local opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  local ok=1
  if ((QUIET)); then
    : >"$APT_LOG"
    { "${apt[@]}" update -q >>"$APT_LOG" 2>&1 && "${apt[@]}" install "${opts[@]}" "${pkgs[@]}" >>"$APT_LOG" 2>&1; } || ok=0
    if ((!ok)); then
      tail -n 25 "$APT_LOG" >&2
    fi
  else
    { "${apt[@]}" update -q && "${apt[@]}" install "${opts[@]}" "${pkgs[@]}"; } || ok=0
  fi
  cleanup
  if ((!ok)); then
    local where=''
    ((QUIET)) && where=" (full log: $APT_LOG)"
    die "apt-get could not install: ${pkgs[*]}$where"
  fi
  NOTES+=("installed ${pkgs[*]}")
}

if ((${#MISSING[@]})); then
  install_packages "${MISSING[@]}"
fi

# ---------------------------------------------------------------------------------------
# memcached
# ---------------------------------------------------------------------------------------
MEMCACHED_BIN=$(find_bin memcached) || die "memcached is not installed (apt-get install memcached)"
MEMCACHED_USER_ARGS=()
# memcached refuses to run as root without -u. It writes its pid file after dropping
# privileges, and .services/ belongs to root, so as root it keeps running as root
# (it listens on 127.0.0.1 only).
((IS_ROOT)) && MEMCACHED_USER_ARGS=(-u root)

MC_UP=()
MC_LAUNCHED=()
for ((i = 0; i < MEMCACHED_COUNT; i++)); do
  port=$((MEMCACHED_BASE_PORT + i))
  if memcached_answers "$port"; then
    ALREADY+=("memcached $HOST:$port")
    MC_UP+=("$port")
    continue
  fi
  if port_open "$port"; then
    err "$HOST:$port is in use by something that does not answer as memcached (a paused or foreign process?)"
    continue
  fi
  pidfile="$SVC_DIR/memcached-$port.pid"
  logfile="$SVC_DIR/memcached-$port.log"
  rm -f "$pidfile"
  # -v keeps stderr (errors/warnings) going to the log after daemonizing.
  if ! "$MEMCACHED_BIN" -l "$HOST" -p "$port" -U 0 -m 64 -c 4096 "${MEMCACHED_USER_ARGS[@]}" \
    -d -P "$pidfile" -v >>"$logfile" 2>&1 </dev/null; then
    err "memcached on $HOST:$port failed to start (see $logfile)"
    continue
  fi
  MC_LAUNCHED+=("$port")
done

for port in "${MC_LAUNCHED[@]}"; do
  ok=0
  for ((t = 0; t < 50; t++)); do
    if memcached_answers "$port"; then
      ok=1
      break
    fi
    sleep 0.1
  done
  if ((ok)); then
    STARTED+=("memcached $HOST:$port")
    MC_UP+=("$port")
  else
    err "memcached on $HOST:$port did not answer within 5 s (see $SVC_DIR/memcached-$port.log)"
  fi
done

# ---------------------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------------------
MYSQL_BIN=$(find_bin mariadb mysql) || die "no mysql/mariadb client (apt-get install mariadb-client)"
MYSQL_SOCKET_ARGS=()
if [[ -n $MARIADB_PRIVATE_DATADIR ]]; then
  MYSQL_SOCKET_ARGS=(--socket="$MARIADB_PRIVATE_DATADIR/mysqld.sock")
fi
MARIADB_UP=0

start_mariadb() {
  ((CAN_ROOT)) || {
    err "nothing listens on $HOST:$MARIADB_PORT and starting MariaDB needs root (no sudo here)"
    return 1
  }
  local mariadbd datadir install_db
  mariadbd=$(find_bin mariadbd mysqld) || {
    err "MariaDB server is not installed (apt-get install mariadb-server)"
    return 1
  }
  : >"$MARIADB_LOG"
  local server_args=(--user=mysql --bind-address="$HOST" --port="$MARIADB_PORT")
  if [[ -n $MARIADB_PRIVATE_DATADIR ]]; then
    datadir=$MARIADB_PRIVATE_DATADIR
    server_args+=(--datadir="$datadir" --socket="$datadir/mysqld.sock"
      --pid-file="$datadir/mysqld.pid" --log-error="$datadir/error.log" --skip-log-bin)
    "${AS_ROOT[@]}" install -d -o mysql -g mysql -m 750 "$datadir"
  else
    datadir=$("$(find_bin my_print_defaults mariadb-print-defaults || echo false)" --mysqld 2>/dev/null |
      sed -n 's/^--datadir=//p' | tail -n 1 || true)
    datadir=${datadir:-/var/lib/mysql}
    "${AS_ROOT[@]}" install -d -o mysql -g mysql -m 755 /run/mysqld
    "${AS_ROOT[@]}" install -d -o mysql -g mysql -m 750 "$datadir"
  fi

  if ! "${AS_ROOT[@]}" test -d "$datadir/mysql"; then
    install_db=$(find_bin mariadb-install-db mysql_install_db) || {
      err "mariadb-install-db not found; cannot initialise $datadir"
      return 1
    }
    say "Initialising MariaDB data directory $datadir"
    if ! "${AS_ROOT[@]}" "$install_db" --user=mysql --datadir="$datadir" --skip-test-db \
      --auth-root-authentication-method=socket >>"$MARIADB_LOG" 2>&1; then
      err "mariadb-install-db failed for $datadir (see $MARIADB_LOG)"
      return 1
    fi
  fi

  rm -f "$MARIADB_PIDFILE"
  if command -v start-stop-daemon >/dev/null 2>&1 || [[ -x /sbin/start-stop-daemon ]]; then
    "${AS_ROOT[@]}" start-stop-daemon --start --oknodo --quiet --background \
      --make-pidfile --pidfile "$MARIADB_PIDFILE" --output "$MARIADB_LOG" \
      --exec "$mariadbd" -- "${server_args[@]}" || {
      err "start-stop-daemon could not start $mariadbd (see $MARIADB_LOG)"
      return 1
    }
  else
    local safe
    safe=$(find_bin mariadbd-safe mysqld_safe) || {
      err "neither start-stop-daemon nor mysqld_safe found; cannot start MariaDB"
      return 1
    }
    "${AS_ROOT[@]}" nohup "$safe" "${server_args[@]}" >>"$MARIADB_LOG" 2>&1 </dev/null &
    disown || true
  fi
  echo "$MARIADB_PORT" >"$MARIADB_MARKER"

  local t pid
  for ((t = 0; t < 300; t++)); do
    port_open "$MARIADB_PORT" && return 0
    if ((t % 10 == 9)) && [[ -f $MARIADB_PIDFILE ]]; then
      pid=$(tr -dc '0-9' <"$MARIADB_PIDFILE" 2>/dev/null || true)
      if [[ -n $pid ]] && ! pid_alive "$pid"; then
        break # it died; no point waiting
      fi
    fi
    sleep 0.1
  done
  err "MariaDB did not come up on $HOST:$MARIADB_PORT (logs: $MARIADB_LOG${MARIADB_PRIVATE_DATADIR:+, $MARIADB_PRIVATE_DATADIR/error.log})"
  tail -n 15 "$MARIADB_LOG" >&2 2>/dev/null || true
  rm -f "$MARIADB_MARKER"
  return 1
}

if ((MARIADB_WAS_UP)); then
  ALREADY+=("mariadb $HOST:$MARIADB_PORT")
  MARIADB_UP=1
elif start_mariadb; then
  STARTED+=("mariadb $HOST:$MARIADB_PORT")
  MARIADB_UP=1
fi

AUTHRING_SQL=''
for h in 127.0.0.1 localhost ::1; do
  AUTHRING_SQL+="CREATE USER IF NOT EXISTS 'authring'@'$h' IDENTIFIED BY 'authring';
ALTER USER 'authring'@'$h' IDENTIFIED BY 'authring';
GRANT ALL PRIVILEGES ON *.* TO 'authring'@'$h' WITH GRANT OPTION;
"
done

mysql_as_authring() {
  "$MYSQL_BIN" --no-defaults --protocol=TCP -h"$HOST" -P"$MARIADB_PORT" --connect-timeout=5 \
    -uauthring --password=authring -N -B "$@"
}

# Runs SQL from stdin as an admin: root over TCP with an empty password, root over the
# unix socket (fresh installs admit root only there), then sudo.
mysql_as_admin() {
  local sql
  sql=$(cat)
  "$MYSQL_BIN" --no-defaults --protocol=TCP -h"$HOST" -P"$MARIADB_PORT" --connect-timeout=5 -uroot \
    -N -B <<<"$sql" 2>/dev/null && return 0
  if ((IS_ROOT)); then
    "$MYSQL_BIN" --protocol=SOCKET "${MYSQL_SOCKET_ARGS[@]}" --connect-timeout=5 -uroot -N -B <<<"$sql" 2>/dev/null && return 0
  elif ((CAN_ROOT)); then
    "${AS_ROOT[@]}" "$MYSQL_BIN" --protocol=SOCKET "${MYSQL_SOCKET_ARGS[@]}" --connect-timeout=5 -N -B <<<"$sql" 2>/dev/null && return 0
  fi
  return 1
}

# True if the MariaDB this script started has exited again.
started_mariadb_died() {
  local pid
  [[ -f $MARIADB_MARKER && -f $MARIADB_PIDFILE ]] || return 1
  pid=$(tr -dc '0-9' <"$MARIADB_PIDFILE" 2>/dev/null || true)
  [[ -n $pid ]] && ! pid_alive "$pid"
}

if ((MARIADB_UP)); then
  if ! mysql_as_admin <<<"$AUTHRING_SQL"; then
    if mysql_as_authring -e 'select 1' >/dev/null 2>&1; then
      NOTES+=("could not log in to MariaDB as root to refresh the authring account; the existing one works")
    else
      err "could not log in to MariaDB on $HOST:$MARIADB_PORT as root (tried TCP with no password, the unix socket, sudo) to create user authring"
    fi
  fi
  if ! out=$(mysql_as_authring -e 'select 1' 2>&1); then
    err "MariaDB login authring/authring on $HOST:$MARIADB_PORT does not work: $out"
  fi
  if started_mariadb_died; then
    err "the MariaDB this script started has exited (logs: $MARIADB_LOG${MARIADB_PRIVATE_DATADIR:+, $MARIADB_PRIVATE_DATADIR/error.log})"
    rm -f "$MARIADB_MARKER" "$MARIADB_PIDFILE"
  fi
fi

# ---------------------------------------------------------------------------------------
# Kamailio's schema files for the demo, unpacked from the Debian package when not installed
# ---------------------------------------------------------------------------------------
SCHEMA_DIR="$SVC_DIR/kamailio-schema"
if ((SCHEMA)) && ! dpkg-query -W -f='${db:Status-Abbrev}' kamailio-mysql-modules 2>/dev/null | grep -q '^ii' &&
  [[ ! -f "$SCHEMA_DIR/usr/share/kamailio/mysql/standard-create.sql" ]]; then
  if ! command -v "$APT_GET" >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    err "Kamailio's schema files are missing: install the Debian package kamailio-mysql-modules"
  else
    mkdir -p "$SCHEMA_DIR"
    schema_log="$SVC_DIR/schema.log"
    if { "${AS_ROOT[@]}" "$APT_GET" update -q && (cd "$SVC_DIR" && "$APT_GET" download kamailio-mysql-modules); } >"$schema_log" 2>&1 &&
      dpkg-deb -x "$(ls -t "$SVC_DIR"/kamailio-mysql-modules_*.deb | head -n 1)" "$SCHEMA_DIR" >>"$schema_log" 2>&1; then
      NOTES+=("Kamailio schema unpacked into $SCHEMA_DIR")
      rm -f "$SVC_DIR"/kamailio-mysql-modules_*.deb
    else
      err "could not download kamailio-mysql-modules for its schema files (log: $schema_log)"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------
# Interop binaries present?
# ---------------------------------------------------------------------------------------
if ((INTEROP)); then
  for b in nutcracker kamailio sipp; do
    find_bin "$b" >/dev/null || err "$b is not installed even though its package should be"
  done
  find_bin cc gcc >/dev/null || err "no C compiler (cc) found (apt-get install build-essential)"
fi

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
mc_range="$HOST:$MEMCACHED_BASE_PORT"
((MEMCACHED_COUNT > 1)) && mc_range+="-$((MEMCACHED_BASE_PORT + MEMCACHED_COUNT - 1))"

if ((${#ERRORS[@]})); then
  echo "services.sh: FAILED (${#ERRORS[@]} problem(s) above); memcached ${#MC_UP[@]}/$MEMCACHED_COUNT up; see $SVC_DIR/" >&2
  exit 1
fi

if ((QUIET)); then
  summary="services: memcached $mc_range up ($((${#MC_UP[@]} - ${#MC_LAUNCHED[@]})) running, ${#MC_LAUNCHED[@]} started)"
  summary+=", mariadb $HOST:$MARIADB_PORT $([[ $MARIADB_WAS_UP == 1 ]] && echo up || echo started) (authring/authring)"
  ((INTEROP)) && summary+=", interop tools ok"
  ((${#NOTES[@]})) && summary+="; $(
    IFS=';'
    echo "${NOTES[*]}"
  )"
  echo "$summary"
else
  join() {
    local IFS=$'\n'
    [[ $# -gt 0 ]] && printf '    %s\n' "$@" || printf '    (none)\n'
  }
  echo "authring services (pid files and logs in $SVC_DIR/):"
  echo "  already running:"
  join "${ALREADY[@]}"
  echo "  started now:"
  join "${STARTED[@]}"
  for n in "${NOTES[@]}"; do echo "  note: $n"; done
  ((INTEROP)) && echo "  interop tools: nutcracker, kamailio, sipp, cc, libmemcached-dev present"
  echo "  MariaDB login: mysql://authring:authring@$HOST:$MARIADB_PORT"
  echo "  stop with:     npm run services -- --stop   (stops only what this script started)"
fi
