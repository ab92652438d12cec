#!/usr/bin/env bash
# npm run test:image [-- --arch amd64|arm64] [--image FILE.img.zst]
# Builds the disk image (npm run image, cached stages make a rebuild quick) unless one is given, then boots a
# copy of it in qemu under TCG with UEFI firmware and takes it through what an owner does, from outside only:
#   amd64: test/image/amd64.test.ts (first run in Chromium, reboot, mDNS on a bridged tap interface);
#   arm64: test/image/arm64.test.ts (boot to READY, a chat on a generated tiny model).
# Everything runs in network namespaces of its own (no traffic leaves the machine). Needs root; installs what
# it needs; never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."

arch=amd64 image=
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --image) image=$(readlink -f "$2"); shift 2 ;;
    *) echo "usage: run.sh [--arch amd64|arm64] [--image FILE.img.zst]" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64) need=(qemu-system-x86_64:qemu-system-x86 /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf chromium:chromium
    socat:socat dnsmasq:dnsmasq-base avahi-daemon:avahi-daemon avahi-resolve:avahi-utils dbus-daemon:dbus) ;;
  arm64) need=(qemu-system-aarch64:qemu-system-arm /usr/share/AAVMF/AAVMF_CODE.fd:qemu-efi-aarch64) ;;
  *) echo "unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
need+=(zstd:zstd sfdisk:fdisk ip:iproute2)
missing=()
for pair in "${need[@]}"; do
  what=${pair%%:*}
  if [[ "$what" == /* ]]; then [ -e "$what" ] || missing+=("${pair#*:}"); else command -v "$what" >/dev/null || missing+=("${pair#*:}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get install -o DPkg::Lock::Timeout=600 -y --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null \
    || { apt-get update >/dev/null && apt-get install -o DPkg::Lock::Timeout=600 -y --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null; }
fi

if [ -z "$image" ]; then
  echo "== npm run image -- --arch $arch"
  built=$(date +%s)
  image=$(bash image/disk/build.sh --arch "$arch" | tail -1)
  echo "== image built in $(($(date +%s) - built)) s: $image"
fi
[ -f "$image" ] || { echo "no image at '$image'" >&2; exit 1; }
# The test drives the CLI (discover, make-test-model) from the build.
npm run build >/dev/null

# The test, qemu and Chromium run in a network namespace of their own, which is also the "LAN" the mDNS test
# bridges the VM's tap interface into.
export IMAGE_TEST_TAG="cbi$$"
ns=$IMAGE_TEST_TAG
cleanup() {
  for n in "$ns" "$ns-b"; do
    if ip netns list | grep -qw "$n"; then
      pids=$(ip netns pids "$n" || true)
      [ -z "$pids" ] || kill $pids 2>/dev/null || true
      sleep 0.5
      pids=$(ip netns pids "$n" || true)
      [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
      ip netns del "$n" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

started=$(date +%s)
echo "== $arch image in qemu (TCG): $image"
ip netns exec "$ns" env IMAGE="$image" ARCH="$arch" IMAGE_READY_LIMIT_S="${IMAGE_READY_LIMIT_S:-90}" npx vitest run --config test/image/vitest.config.ts "test/image/$arch.test.ts"
echo "== image test ($arch) passed in $(($(date +%s) - started)) s"
