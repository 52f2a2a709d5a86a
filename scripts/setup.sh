#!/usr/bin/env bash
# Set up the project's virtual environment (.venv) with Python >= 3.12 and the package installed.
#   bash scripts/setup.sh          # the game and its command line
#   bash scripts/setup.sh --test   # plus the test tools (pytest, hypothesis, ruff, playwright)
#                                  # and Debian's chromium for the browser tests
# The browser's front end (Solara's JavaScript and CSS) comes from PyPI's solara-assets
# package, so the app needs no internet once this has run.
# Safe to run again: it reuses a good .venv and only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
for arg in "$@"; do
  case "$arg" in
    --test) extras="[test]" ;;
    *) echo "setup.sh: unknown option $arg (expected --test)" >&2; exit 2 ;;
  esac
done

good_python() {  # prints the path if $1 is a Python >= 3.12
  local candidate=$1
  [ -x "$candidate" ] || candidate=$(command -v "$candidate" 2>/dev/null) || return 1
  "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || return 1
  echo "$candidate"
}

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] && good_python "$candidate" && return 0
  done
  # pyenv keeps other versions out of PATH: look inside its versions folder, newest first.
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  command -v pyenv >/dev/null 2>&1 && root=$(pyenv root)
  for candidate in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -V -r); do
    good_python "$candidate/bin/python3" && return 0
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! good_python .venv/bin/python >/dev/null; then
  python=$(find_python) || {
    echo "setup.sh: no Python 3.12 or newer found (Mesa 3.5 needs it)." >&2
    echo "  Install one (e.g. 'pyenv install 3.12') or point PYTHON=/path/to/python3.12 at it." >&2
    exit 1
  }
  echo "setup.sh: creating .venv with $python ($("$python" --version))"
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip 2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
fi

# Some machines configure extra local package folders that do not exist; pip warns about each
# one on every run. The warnings say nothing about this project, so they are filtered out.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}" \
  2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
if [ -n "$extras" ] && ! command -v chromium >/dev/null 2>&1; then
  # Playwright cannot download its own browsers here; the tests drive Debian's chromium.
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup.sh: installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || {
      echo "setup.sh: could not install chromium with apt-get; the browser tests need it" >&2
      exit 1
    }
  else
    echo "setup.sh: the browser tests need Chromium: install Debian's 'chromium' package" >&2
    echo "  (as root: apt-get install -y chromium), then run this again." >&2
    exit 1
  fi
fi
echo "setup.sh: ready ($(.venv/bin/python --version), $(.venv/bin/python -c 'import mesa; print("mesa", mesa.__version__)'))"
