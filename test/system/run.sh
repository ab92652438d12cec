#!/usr/bin/env bash
# npm run test:system: the files in system/ checked with the real systemd tools. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/../.."

need() {
  if ! command -v "$1" >/dev/null; then
    echo "== installing $2 (for $1)"
    apt-get install -y --no-install-recommends "$2" >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$2" >/dev/null; }
  fi
}
need systemd-analyze systemd

# A root with the system's own units (the targets chaibox.service refers to), the files of system/, and a
# stand-in for the chaibox executable: verify checks that ExecStart= exists.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp -r system/. "$root/"
printf '#!/bin/sh\n' > "$root/usr/bin/chaibox"
chmod +x "$root/usr/bin/chaibox"

echo "== systemd-analyze verify chaibox.service"
# verify exits 0 on some problems: any output at all is a failure.
out=$(systemd-analyze verify --root="$root" "$root/usr/lib/systemd/system/chaibox.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi

echo "== systemd-analyze verify chaibox-console.path and chaibox-console.service"
for unit in chaibox-console.path chaibox-console.service; do
  out=$(systemd-analyze verify --root="$root" "$root/usr/lib/systemd/system/$unit" 2>&1) || { echo "$out"; exit 1; }
  if [ -n "$out" ]; then echo "$out"; exit 1; fi
done

echo "== systemd-analyze security chaibox.service (exposure at most 2.0)"
systemd-analyze security --offline=yes --root="$root" --threshold=20 chaibox.service | tail -1

echo "== systemd-sysusers (dry run)"
out=$(systemd-sysusers --dry-run --root="$root" 2>&1)
echo "$out" | grep -q "Creating user 'chaibox'" || { echo "$out"; exit 1; }

bash test/system/web/run.sh
bash test/system/systemd-boot.sh
bash test/system/mdns/run.sh

echo "== system tests passed"
