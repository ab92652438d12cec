#!/usr/bin/env bash
# The mDNS system tests: chaibox advertised through avahi-daemon and through the embedded responder, found
# from a second network namespace. Needs root; installs its Debian packages; removes its namespaces and
# daemons on the way out, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/../../.."

missing=()
for pair in avahi-daemon:avahi-daemon avahi-browse:avahi-utils dbus-daemon:dbus ip:iproute2 unshare:util-linux; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

echo "== building dist/ (the tests run the chaibox command from it)"
npm run build >/dev/null

export MDNS_TEST_TAG="cbm$$"
cleanup() {
  for ns in "$MDNS_TEST_TAG-a" "$MDNS_TEST_TAG-b"; do
    if ip netns list | grep -qw "$ns"; then
      pids=$(ip netns pids "$ns" || true)
      [ -z "$pids" ] || kill $pids 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

echo "== mDNS: Avahi and the embedded responder, seen from another network namespace"
npx vitest run --config test/system/mdns/vitest.config.ts
