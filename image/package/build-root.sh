#!/usr/bin/env bash
# The root that chaibox's native modules are compiled in: Debian 13 (trixie) of the target arch with its own
# nodejs, the headers of that nodejs (libnode-dev) and a compiler. Cached under .cache/package/, keyed by what
# goes into it; prints its path. Usage: build-root.sh amd64|arm64
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=$1
SUITE=trixie
PACKAGES=nodejs,libnode-dev,g++,make,python3,dpkg-dev,binutils
MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
key=$(printf '%s\n' "$SUITE" "$arch" "$PACKAGES" "$MIRROR" 1 | sha256sum | cut -c1-12)
root=$PWD/.cache/package/root-$arch-$key
if [ ! -e "$root/.complete" ]; then
  echo "== debootstrap $SUITE ($arch) into $root (minutes, once)" >&2
  rm -rf "$root.tmp"
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase --arch="$arch" --include="$PACKAGES" "$SUITE" "$root.tmp" "$MIRROR" \
    >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
  rm -rf "$root.tmp/var/cache/apt/archives"/*.deb
  touch "$root.tmp/.complete"
  mv "$root.tmp" "$root"
fi
echo "$root"
