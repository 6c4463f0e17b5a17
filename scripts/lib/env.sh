# shellcheck shell=bash
# Shared set-up for ./scripts/test, ./scripts/demo, ./scripts/bench and .ci/run.
#
# Three Python environments, because the three parts run on three Pythons:
#   agent  - the machine's python3.11 (what Raspberry Pi OS Bookworm ships): edge agent + pure core
#   ha     - Python >= 3.14.2 (current Home Assistant refuses anything older): integration tests, demo
#   floor  - pyenv's 3.13.0 with HA 2026.2.3 installed with --ignore-requires-python (tests only)
# Where no python3.14 >= 3.14.2 exists (Debian 12), the ha environments live in a private
# minimal Debian sid root (debootstrap + Debian's python3.14) and commands run there through
# chroot in a private mount namespace, with the repository bind-mounted at /project.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${EDGE_HUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-hub}
ROOT=$CACHE/sid-root
mkdir -p "$CACHE"

# edge_hub_core lives inside the integration (HACS installs only that folder) and is importable
# on its own through this link; a relative link, so it resolves on the host and in the sid root
# alike. (Putting the integration folder itself on the path would shadow stdlib modules with
# its platform files: select.py, number.py...)
mkdir -p "$REPO/.cache/pypath"
[ -L "$REPO/.cache/pypath/edge_hub_core" ] || ln -sfn ../../custom_components/edge_hub/edge_hub_core "$REPO/.cache/pypath/edge_hub_core"

log() { printf '\033[1m[edge-hub]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[edge-hub] error:\033[0m %s\n' "$*" >&2; exit 2; }

# --- serialise set-up between concurrent runs (several worktrees share one cache) ---
with_lock() {  # with_lock NAME cmd...
  local lock=$CACHE/$1.lock; shift
  ( flock 9; "$@" ) 9>"$lock"
}

apt_install() {  # apt_install PKG... (host, only what is missing)
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  log "installing system packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- Python 3.14 for Home Assistant: native if present, else a private Debian sid root ---
py314_native() {  # prints the path of a usable python3.14 on the host, if any
  local c
  for c in "${EDGE_HUB_PY314:-}" python3.14 python3; do
    [ -n "$c" ] || continue
    c=$(command -v "$c" 2>/dev/null) || continue
    "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null && { echo "$c"; return 0; }
  done
  return 1
}

HA_MODE=""   # native | root
detect_ha_mode() {
  [ -n "$HA_MODE" ] && return 0
  if [ "${EDGE_HUB_FORCE_ROOT:-0}" != 1 ] && py314_native >/dev/null; then HA_MODE=native; return 0; fi
  if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null && command -v unshare >/dev/null; then HA_MODE=root; return 0; fi
  die "Home Assistant needs Python >= 3.14.2 and none was found.
  Install one (e.g. 'pyenv install 3.14', or Debian/Ubuntu's python3.14 package) and re-run,
  or run this script as root on a Debian-like system so it can build a private python3.14 root with debootstrap."
}

build_root() {
  [ -x "$ROOT/usr/bin/python3.14" ] && return 0
  apt_install debootstrap
  log "building a minimal Debian sid root with python3.14 at $ROOT (about 1.5 min, once)"
  rm -rf "$ROOT.tmp"
  debootstrap --variant=minbase \
    --include=python3.14,python3.14-venv,python3.14-dev,ca-certificates,gcc,g++,libc6-dev,git,mosquitto,procps \
    sid "$ROOT.tmp" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  mv "$ROOT.tmp" "$ROOT"
}

sync_root_files() {
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  cp /etc/hosts "$ROOT/etc/hosts" 2>/dev/null || true
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$ROOT/project" "$ROOT/proc" "$ROOT/dev"
}

# in_root CMD...: run CMD inside the sid root, cwd /project (the repo), in a private mount
# namespace so concurrent runs from different worktrees never see each other's mounts and
# every mount disappears with the process (Ctrl-C included).
in_root() {
  # the benchmarks' knobs (BENCH_*) pass through the emptied environment, like EDGE_HUB_ENV
  local pass=() var
  for var in $(compgen -v BENCH_); do pass+=("$var=${!var}"); done
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    root=$1 repo=$2 npass=$3; shift 3
    mount --bind "$repo" "$root/project"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
      LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" PYTHONDONTWRITEBYTECODE=1 \
      PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
      SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt EDGE_HUB_IN_ROOT=1 \
      ${EDGE_HUB_ENV:-} "${@:1:$npass}" /bin/bash -c "cd /project && exec \"\$@\"" bash "${@:$((npass+1))}"
  ' bash "$ROOT" "$REPO" "${#pass[@]}" "${pass[@]}" "$@"
}

# ha_venv_dir NAME -> the venv path as seen by commands run through ha_run
ha_venv_dir() {
  if [ "$HA_MODE" = root ]; then echo "/opt/venv-$1"; else echo "$CACHE/venv-$1"; fi
}

# ha_run NAME CMD...: run CMD with venv NAME first on PATH, cwd at the repo root
ha_run() {
  local name=$1; shift
  detect_ha_mode
  local v; v=$(ha_venv_dir "$name")
  if [ "$HA_MODE" = root ]; then
    in_root env PATH="$v/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" VIRTUAL_ENV="$v" \
      PYTHONPATH=/project:/project/.cache/pypath "$@"
  else
    (cd "$REPO" && env PATH="$v/bin:$PATH" VIRTUAL_ENV="$v" \
      PYTHONPATH="$REPO:$REPO/.cache/pypath" "$@")
  fi
}

# req_hash FILE... -> a digest of the requirement files (and the files they include)
req_hash() { cat "$@" | sha256sum | cut -c1-16; }

# ensure_ha_venv NAME REQFILE: venv NAME (Python >= 3.14.2) holding REQFILE, rebuilt when it changes
ensure_ha_venv() { with_lock "venv-$1" _ensure_ha_venv "$@"; }
_ensure_ha_venv() {
  local name=$1 file=$2
  detect_ha_mode
  if [ "$HA_MODE" = root ]; then build_root; sync_root_files; fi
  local v hostv want py
  v=$(ha_venv_dir "$name")
  if [ "$HA_MODE" = root ]; then hostv=$ROOT$v; py=python3.14; else hostv=$v; py=$(py314_native); fi
  want="$HA_MODE $(cd "$REPO" && req_hash "$file" requirements/*.txt pyproject.toml)"
  [ -f "$hostv/.edge-hub-stamp" ] && [ "$(cat "$hostv/.edge-hub-stamp")" = "$want" ] && return 0
  log "preparing the '$name' Home Assistant environment from $file (a few minutes the first time)"
  [ -f "$hostv/pyvenv.cfg" ] || ha_run "$name" "$py" -m venv "$v"
  ha_run "$name" pip install -q -U pip wheel >&2
  ha_run "$name" scripts/lib/pip-ha-install pip python "$file" >&2
  echo "$want" >"$hostv/.edge-hub-stamp"
}

# --- the edge agent's Python (3.11 on this machine kind, like Raspberry Pi OS Bookworm) ---
agent_python() {
  local c
  for c in "${EDGE_HUB_AGENT_PY:-}" python3.11 python3; do
    [ -n "$c" ] || continue
    c=$(command -v "$c" 2>/dev/null) || continue
    "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null && { echo "$c"; return 0; }
  done
  die "the edge agent needs Python >= 3.11 (python3.11 not found)"
}

ensure_agent_venv() { with_lock venv-agent _ensure_agent_venv; }
_ensure_agent_venv() {
  local v=$CACHE/venv-agent py want
  py=$(agent_python)
  want="$("$py" -V) $(cd "$REPO" && req_hash pyproject.toml)"
  if [ ! -f "$v/.edge-hub-stamp" ] || [ "$(cat "$v/.edge-hub-stamp")" != "$want" ]; then
    log "preparing the edge-agent environment ($("$py" -V))"
    [ -f "$v/pyvenv.cfg" ] || "$py" -m venv "$v"
    "$v/bin/pip" install -q -U pip >&2
    (cd "$REPO" && "$v/bin/pip" install -q -e ".[test,lint,sim]") >&2
    echo "$want" >"$v/.edge-hub-stamp"
  fi
}
# the source tree comes first on PYTHONPATH, so any worktree tests its own code
agent_run() { (cd "$REPO" && env PATH="$CACHE/venv-agent/bin:$PATH" VIRTUAL_ENV="$CACHE/venv-agent" \
  PYTHONPATH="$REPO:$REPO/.cache/pypath" "$@"); }

# --- the floor: HA 2026.2.3 on pyenv's Python 3.13.0 (tests only; hass itself refuses 3.13.0) ---
floor_python() {
  local c root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for c in "${EDGE_HUB_FLOOR_PY:-}" "$root"/versions/3.13.*/bin/python3.13 python3.13; do
    [ -n "$c" ] || continue
    c=$(command -v "$c" 2>/dev/null) || continue
    echo "$c"; return 0
  done
  return 1
}
ensure_floor_venv() { with_lock venv-floor _ensure_floor_venv; }
_ensure_floor_venv() {
  local v=$CACHE/venv-floor py want
  py=$(floor_python) || die "the floor leg needs a Python 3.13 (pyenv install 3.13.0)"
  want="$("$py" -V) $(cd "$REPO" && req_hash requirements/*.txt pyproject.toml)"
  [ -f "$v/.edge-hub-stamp" ] && [ "$(cat "$v/.edge-hub-stamp")" = "$want" ] && return 0
  log "preparing the floor environment (HA 2026.2.3 on $("$py" -V))"
  [ -f "$v/pyvenv.cfg" ] || "$py" -m venv "$v"
  "$v/bin/pip" install -q -U pip wheel >&2
  # HA 2026.2 asks for Python >= 3.13.2; its tests run on 3.13.0, so only here the check is waived
  (cd "$REPO" && scripts/lib/pip-ha-install "$v/bin/pip" "$v/bin/python" requirements/test-ha-floor.txt --ignore-requires-python) >&2
  echo "$want" >"$v/.edge-hub-stamp"
}
floor_run() { (cd "$REPO" && env PATH="$CACHE/venv-floor/bin:$PATH" VIRTUAL_ENV="$CACHE/venv-floor" \
  PYTHONPATH="$REPO:$REPO/.cache/pypath" "$@"); }
