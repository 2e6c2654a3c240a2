#!/usr/bin/env bash
# Installs the Python clients the integration tests drive (clickhouse-connect, pandas, pyarrow)
# into a virtualenv cached outside the repository, one folder per requirements file content, so a
# second run is instant and a changed pin gets a fresh environment. Prints the venv's python path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SHELFSTREAM_CACHE_DIR:-$HOME/.cache/shelfstream}"
python="${PYTHON:-python3}"
key="$(sha256sum "$here/requirements.txt" | cut -c1-12)"
venv="$cache/python/venv-$key"
if [ ! -f "$venv/.installed" ]; then
  mkdir -p "$cache/python"
  tmp="$(mktemp -d "$cache/python/.venv-$key.XXXXXX")"
  "$python" -m venv "$tmp" >&2
  "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$tmp/.installed"
  # venvs hard-code their path in scripts, but `bin/python` itself works from a moved folder; the
  # rename makes a half-finished install invisible to a concurrent run.
  if ! mv -T "$tmp" "$venv" 2>/dev/null; then rm -rf "$tmp"; fi
fi
echo "$venv/bin/python"
