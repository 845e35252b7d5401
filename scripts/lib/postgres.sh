#!/usr/bin/env bash
# Sourced helper: find (or install) the machine's PostgreSQL server binaries.
#
#   source scripts/lib/postgres.sh
#   ensure_postgres_binaries      # exports PG_BIN (the directory holding initdb)
#
# Silent when the binaries are already there. Safe to call more than once.
# Does not change the caller's shell options.

# Prints the directory holding initdb, or nothing.
_almanac_find_pg_bindir() {
  local dir candidate best=""

  # 1. pg_config. On Debian it may come from libpq-dev alone and name a bindir
  #    without the server binaries, hence the -x check.
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
      printf '%s\n' "$dir"
      return 0
    fi
  fi

  # 2. Debian/Ubuntu layout, then RHEL's PGDG layout, then Homebrew's keg-only
  #    formulae (not on PATH by default); within a layout the highest version wins.
  local pattern
  for pattern in '/usr/lib/postgresql/*/bin' '/usr/pgsql-*/bin' \
    '/opt/homebrew/opt/postgresql@*/bin' '/usr/local/opt/postgresql@*/bin'; do
    best=""
    # The pattern is expanded on purpose (unquoted); no match leaves it literal,
    # which the -x test then skips.
    # shellcheck disable=SC2086
    for candidate in $pattern; do
      [ -x "$candidate/initdb" ] || continue
      best=$(printf '%s\n%s\n' "$best" "$candidate" | sed '/^$/d' | sort -V | tail -n 1)
    done
    if [ -n "$best" ]; then
      printf '%s\n' "$best"
      return 0
    fi
  done

  # 3. PATH.
  if command -v initdb >/dev/null 2>&1; then
    dir=$(dirname "$(command -v initdb)")
    printf '%s\n' "$dir"
    return 0
  fi
  return 0
}

# Runs a command as root: directly when we are root, else through sudo.
_almanac_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    return 127
  fi
}

_almanac_install_postgres() {
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
      echo "PostgreSQL server binaries not found, and installing them needs root." >&2
      echo "Run as root: apt-get update && apt-get install -y postgresql" >&2
      exit 1
    fi
    echo "==> PostgreSQL server binaries not found; installing the 'postgresql' package (apt-get)" >&2
    _almanac_as_root apt-get update
    _almanac_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  elif [ "$(uname -s)" = "Darwin" ]; then
    if ! command -v brew >/dev/null 2>&1; then
      echo "PostgreSQL server binaries not found and Homebrew is not installed." >&2
      echo "Install Homebrew (https://brew.sh), then: brew install postgresql@16" >&2
      exit 1
    fi
    echo "==> PostgreSQL server binaries not found; installing postgresql@16 (Homebrew)" >&2
    brew install postgresql@16
  else
    echo "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found." >&2
    echo "Install your distribution's PostgreSQL server package, e.g.:" >&2
    echo "  Fedora/RHEL:  dnf install postgresql-server" >&2
    echo "  Arch:         pacman -S postgresql" >&2
    echo "  Alpine:       apk add postgresql" >&2
    echo "  openSUSE:     zypper install postgresql-server" >&2
    echo "then run this script again." >&2
    exit 1
  fi
}

# Exports PG_BIN and puts it first on PATH (so initdb/pg_ctl/postgres resolve
# to the same installation). Installs PostgreSQL when it is missing.
ensure_postgres_binaries() {
  local dir tool
  dir=$(_almanac_find_pg_bindir)
  if [ -z "$dir" ]; then
    _almanac_install_postgres
    dir=$(_almanac_find_pg_bindir)
    if [ -z "$dir" ]; then
      echo "PostgreSQL was installed but initdb is still not found; set PATH to its bin directory." >&2
      exit 1
    fi
  fi
  for tool in initdb pg_ctl postgres; do
    if [ ! -x "$dir/$tool" ]; then
      echo "$dir has initdb but no $tool: incomplete PostgreSQL installation." >&2
      exit 1
    fi
  done
  PG_BIN=$dir
  export PG_BIN
  case ":$PATH:" in
    *":$PG_BIN:"*) ;;
    *) PATH="$PG_BIN:$PATH"; export PATH ;;
  esac
}
