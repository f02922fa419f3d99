#!/usr/bin/env bash
# Fetches MovieLens-100K as the recbole package ships it (recbole/dataset_example/ml-100k/:
# ml-100k.inter, 100,000 ratings of 943 users on 1,682 items, and ml-100k.item with the genres)
# without installing anything: `pip download --no-deps recbole==1.2.1` puts the wheel into a
# cache, and only that folder's two files are extracted and checked against pinned SHA-256s.
# Idempotent: a cache that already holds the checked files is used as it is.
#
# usage: launch/fetch-ml-100k.sh [CACHE_DIR]
#   CACHE_DIR defaults to $SLATETRAIN_DATA_CACHE, else out/data-cache in the repository.
# Prints the directory holding ml-100k.inter and ml-100k.item on stdout (messages go to stderr).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${1:-${SLATETRAIN_DATA_CACHE:-$root/out/data-cache}}
target=$cache/ml-100k
version=1.2.1
declare -A pinned=(
  [ml-100k.inter]=4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff
  [ml-100k.item]=51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532
)

say() { echo "fetch-ml-100k: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

# checked DIR: every pinned file is in DIR with its SHA-256.
checked() {
  local name
  for name in "${!pinned[@]}"; do
    [[ -f $1/$name ]] || return 1
    [[ $(sha256sum "$1/$name" | cut -d' ' -f1) == "${pinned[$name]}" ]] || return 1
  done
}

if checked "$target"; then
  say "using $target (checked)"
  echo "$target"
  exit 0
fi
# Only a directory this script made is ever replaced (it is moved into place whole).
[[ ! -e $target ]] || fail "$target exists but does not hold the pinned files; move it away"

mkdir -p "$cache/wheels"
wheel=$cache/wheels/recbole-$version-py3-none-any.whl
if [[ ! -f $wheel ]]; then
  command -v python3 >/dev/null || fail "python3 is needed (launch/install-dependencies.sh)"
  python3 -m pip --version >/dev/null 2>&1 ||
    fail "pip is needed for 'pip download' (Debian package python3-pip)"
  say "downloading recbole==$version (the wheel only, nothing installed) into $cache/wheels"
  if ! python3 -m pip download --quiet --no-deps "recbole==$version" -d "$cache/wheels" >&2; then
    fail "pip download recbole==$version failed (no access to PyPI?); put the wheel at $wheel"
  fi
  [[ -f $wheel ]] || fail "pip download did not leave $wheel"
fi

# Extract the two files beside the target, check them, then move them into place.
staging=$(mktemp -d "$cache/ml-100k.tmp-XXXXXX")
trap 'rm -rf "$staging"' EXIT
python3 - "$wheel" "$staging" "${!pinned[@]}" <<'PYTHON' || fail "$wheel is not a readable wheel"
import sys, zipfile
wheel, staging, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    for name in names:
        member = "recbole/dataset_example/ml-100k/" + name
        with archive.open(member) as source, open(staging + "/" + name, "wb") as out:
            out.write(source.read())
PYTHON
for name in "${!pinned[@]}"; do
  actual=$(sha256sum "$staging/$name" | cut -d' ' -f1)
  [[ $actual == "${pinned[$name]}" ]] ||
    fail "$name from $wheel has SHA-256 $actual, expected ${pinned[$name]}"
done
chmod 755 "$staging"
mv "$staging" "$target"
trap - EXIT
say "extracted and checked into $target"
echo "$target"
