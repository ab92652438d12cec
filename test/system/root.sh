#!/usr/bin/env bash
# Builds (once) the Debian root that the systemd boot test boots with systemd-nspawn: systemd, D-Bus and polkit,
# nothing of chaibox (the test binds its build in read-only). Cached under /var/cache/chaibox-test/, keyed by
# what goes into it; prints the root's path. Usage: root.sh
# CHAIBOX_TEST_DOWNLOAD="pkg …": those packages and their dependencies wait, not installed, in the root's apt
# cache with its package lists, so that `apt install` works in a container without network (the package test).
set -euo pipefail

SUITE=${CHAIBOX_TEST_SUITE:-trixie}
# systemd-sysv gives /sbin/init; polkitd (which needs logind: libpam-systemd) answers systemd's manage-units checks
# with chaibox's rule.
PACKAGES=systemd,systemd-sysv,libpam-systemd,dbus,polkitd,libstdc++6
MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
CACHE=${CHAIBOX_TEST_CACHE:-/var/cache/chaibox-test}

DOWNLOAD=${CHAIBOX_TEST_DOWNLOAD:-}

key=$(printf '%s\n' "$SUITE" "$PACKAGES" "$MIRROR" 1 ${DOWNLOAD:+"$DOWNLOAD"} | sha256sum | cut -c1-12)
root=$CACHE/root-$key
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  echo "== installing debootstrap" >&2
  apt-get install -y --no-install-recommends debootstrap >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends debootstrap >/dev/null; }
fi
echo "== debootstrap $SUITE into $root (a few minutes, once)" >&2
mkdir -p "$CACHE"
rm -rf "$root.tmp"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root.tmp" "$MIRROR" >"$CACHE/debootstrap-$key.log" 2>&1 \
  || { tail -20 "$CACHE/debootstrap-$key.log" >&2; exit 1; }
# No console login or network wait in the container: the boot test only needs the system manager and D-Bus.
ln -sf /dev/null "$root.tmp/etc/systemd/system/getty@.service"
ln -sf /dev/null "$root.tmp/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$root.tmp/etc/systemd/system/systemd-networkd-wait-online.service"
rm -rf "$root.tmp/var/cache/apt/archives"/*.deb
if [ -n "$DOWNLOAD" ]; then
  echo "== downloading $DOWNLOAD into the root's apt cache" >&2
  cp /etc/resolv.conf "$root.tmp/etc/resolv.conf"
  # shellcheck disable=SC2086 # a list of package names
  chroot "$root.tmp" sh -c "apt-get update && apt-get install -y --download-only $DOWNLOAD" >>"$CACHE/debootstrap-$key.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap-$key.log" >&2; exit 1; }
fi
touch "$root.tmp/.complete"
mv "$root.tmp" "$root"
echo "$root"
