#!/usr/bin/env bash
# Stage 1 of the disk image: the Debian 13 root with everything but chaibox (kernel, initrd, systemd, networkd,
# Avahi, Node, firmware), made with mmdebstrap and cached under $CACHE keyed by what goes into it: the suite, the
# mirror, the architecture, the package list and this script. Prints the cached root's path on stdout.
# Usage: rootfs.sh amd64|arm64   (CHAIBOX_IMAGE_CACHE, CHAIBOX_IMAGE_MIRROR override the defaults)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=${1:?usage: rootfs.sh amd64|arm64}

SUITE=trixie
CACHE=${CHAIBOX_IMAGE_CACHE:-/var/cache/chaibox-image}
# The mirror this machine's apt uses (deb822 URIs: line), else Debian's CDN.
MIRROR=${CHAIBOX_IMAGE_MIRROR:-$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}
SECURITY=${MIRROR%/debian}/debian-security

# Both architectures: the system manager and its network, mDNS, Node for chaibox (and what its package
# recommends and suggests: the compiler that builds the engine for the box's CPU at first boot), the UEFI boot
# loader's binary and a kernel with its initrd.
packages=(
  systemd systemd-sysv systemd-resolved systemd-timesyncd systemd-repart udev dbus libpam-systemd polkitd
  initramfs-tools zstd kmod iproute2 iputils-ping ca-certificates sudo less
  avahi-daemon libnss-mdns nodejs
  cmake make gcc g++ git
  systemd-boot-efi
)
case "$arch" in
  amd64)
    # A mini PC's hardware: Intel and AMD graphics through Mesa's Vulkan drivers (llama.cpp's GPU path), the
    # usual Ethernet and Wi-Fi firmware, and CPU microcode.
    packages+=(
      linux-image-amd64 mesa-vulkan-drivers libvulkan1
      firmware-realtek firmware-iwlwifi firmware-atheros firmware-mediatek firmware-brcm80211
      firmware-amd-graphics firmware-intel-graphics firmware-linux-free wireless-regdb
      intel-microcode amd64-microcode
    )
    ;;
  arm64) packages+=(linux-image-arm64) ;;
  *) echo "unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac

key=$(cat <(printf '%s\n' "$SUITE" "$MIRROR" "$arch" "${packages[@]}") "$0" | sha256sum | cut -c1-12)
root=$CACHE/rootfs-$arch-$key
if [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

if [ "$arch" != "$(dpkg --print-architecture)" ]; then
  # Foreign binaries run through qemu-user, registered with binfmt_misc.
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi

mkdir -p "$CACHE"
rm -rf "$root.tmp"
log=$CACHE/rootfs-$arch-$key.log
echo "== mmdebstrap $SUITE $arch into $root (minutes, once; log in $log)" >&2
started=$(date +%s)
# No documentation, manual pages or translations on the box: they are a good part of a minimal root. Nor what
# the box never runs (~75 MB): the compiler's sanitizer runtimes and link-time optimiser (the engine build
# uses neither), and the Vulkan drivers that are not a GPU of a box: lavapipe (Vulkan on the CPU, slower for
# llama.cpp than its CPU backend), gfxstream (Android's emulator) and virtio (a VM's virtual GPU).
if ! mmdebstrap --mode=root --variant=apt --architectures="$arch" --components=main,non-free-firmware \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/lib/*/lib*san.so*' --dpkgopt='path-exclude=/usr/libexec/gcc/*/*/lto1' \
  --dpkgopt='path-exclude=/usr/lib/*/libvulkan_lvp.so' --dpkgopt='path-exclude=/usr/share/vulkan/icd.d/lvp_icd*' \
  --dpkgopt='path-exclude=/usr/lib/*/libvulkan_gfxstream.so' --dpkgopt='path-exclude=/usr/share/vulkan/icd.d/gfxstream_vk_icd*' \
  --dpkgopt='path-exclude=/usr/lib/*/libvulkan_virtio.so' --dpkgopt='path-exclude=/usr/share/vulkan/icd.d/virtio_icd*' \
  --aptopt='APT::Install-Recommends "false"' \
  "$SUITE" "$root.tmp" \
  "deb $MIRROR $SUITE main non-free-firmware" \
  "deb $MIRROR $SUITE-updates main non-free-firmware" \
  "deb $SECURITY $SUITE-security main non-free-firmware" >"$log" 2>&1; then
  tail -30 "$log" >&2
  exit 1
fi
echo "== root for $arch made in $(($(date +%s) - started)) s" >&2
touch "$root.tmp/.complete"
mv "$root.tmp" "$root"
echo "$root"
