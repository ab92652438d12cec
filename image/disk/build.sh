#!/usr/bin/env bash
# npm run image -- --arch amd64|arm64 [--deb FILE] [--ssh-key FILE] [--out DIR]
# The flashable disk image chaibox-<version>-<arch>.img.zst (+ .sha256): Debian 13 with chaibox's package, GPT
# with an EFI system partition (systemd-boot on the removable-media path) and an ext4 root. Made without loop
# devices or mounts: the root with mmdebstrap (stage 1, cached: rootfs.sh), the package installed with apt in a
# copy of it, the file systems with `mke2fs -d` and `mkfs.vfat -C` + mtools, the partition table with sfdisk on
# a plain file, the partitions put in place with dd. Needs root. See image/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

arch=amd64 deb= ssh_key= out=$repo/image/out
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --deb) deb=$2; [ "$deb" = none ] || deb=$(readlink -f "$2"); shift 2 ;;
    --ssh-key) ssh_key=$(readlink -f "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: build.sh --arch amd64|arm64 [--deb FILE] [--ssh-key FILE] [--out DIR]" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64) efi=x64 root_type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709 console=ttyS0,115200 ;;
  arm64) efi=aa64 root_type=b921b045-1df0-41c3-af44-4c6f280d3fae console=ttyAMA0,115200 ;;
  *) echo "unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "build.sh needs root (mmdebstrap, chroot, file ownership in the image)" >&2; exit 1; }
version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")
started=$(date +%s)
step() { echo "== [$(($(date +%s) - started)) s] $*" >&2; }

bash "$here/tools.sh"

# The package: built here unless one is given (its script prints the .deb's path last). `--deb none` makes
# the bare system, for working on the image itself.
if [ -z "$deb" ]; then
  step "npm run package -- --arch $arch"
  deb=$(cd "$repo" && npm run --silent package -- --arch "$arch" | tail -1)
fi
[ "$deb" = none ] || [ -f "$deb" ] || { echo "no package at '$deb'" >&2; exit 1; }

step "stage 1: the Debian root (cached)"
base=$(bash "$here/rootfs.sh" "$arch")

work=$(mktemp -d "${TMPDIR:-/var/tmp}/chaibox-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
step "stage 2: a copy of $base with chaibox installed"
cp -a "$base" "$root"
rm -f "$root/.complete"
# In the root, services are only enabled, never started.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$root/etc/resolv.conf.build" 2>/dev/null || true
in_root() {
  # /proc and /dev for the maintainer scripts, in a mount namespace of its own that ends with the command.
  unshare -m --propagation private sh -c '
    mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && mount -t sysfs sys "$0/sys" \
      && mount -t tmpfs tmp "$0/run" && chroot "$0" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"' \
    "$root" "$@"
}
# apt in the root resolves names with the build machine's resolver while it runs.
rm -f "$root/etc/resolv.conf" && cp "$root/etc/resolv.conf.build" "$root/etc/resolv.conf" 2>/dev/null || true
install=()
if [ "$deb" != none ]; then
  cp "$deb" "$root/tmp/chaibox.deb"
  install+=(/tmp/chaibox.deb)
fi
if [ -n "$ssh_key" ]; then
  in_root apt-get update >/dev/null
  install+=(openssh-server)
fi
if [ ${#install[@]} -gt 0 ]; then
  in_root apt-get install -y --no-install-recommends "${install[@]}" >"$work/apt.log" 2>&1 \
    || { tail -30 "$work/apt.log" >&2; exit 1; }
fi
rm -f "$root/tmp/chaibox.deb" "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf.build"
rm -rf "$root/var/lib/apt/lists"/* "$root/var/cache/apt"/*.bin "$root/var/cache/apt/archives"/*.deb
if [ "$deb" != none ]; then
  in_root test -x /usr/bin/chaibox || { echo "the package did not install /usr/bin/chaibox" >&2; exit 1; }
fi

step "configuring the system"
cp -r "$here/files/." "$root/"
echo chaibox >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tchaibox\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
# A machine id is made on first boot (and committed once the root is writable); so is the random seed.
printf 'uninitialized\n' >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed" "$root/var/lib/systemd/credential.secret"
# First boot asks nothing on the console: no locale, keymap, time zone or root password prompts.
ln -sf /dev/null "$root/etc/systemd/system/systemd-firstboot.service"
mkdir -p "$root/var/log/journal" "$root/boot/efi"
systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  avahi-daemon.service >/dev/null 2>&1
[ "$deb" = none ] || systemctl --root="$root" enable chaibox.service chaibox-engine.service >/dev/null 2>&1
if [ -n "$ssh_key" ]; then
  # The owner's key for root, and host keys made on the box (never shared between images).
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$ssh_key" "$root/root/.ssh/authorized_keys"
  rm -f "$root"/etc/ssh/ssh_host_*
  cp "$here/ssh-host-keys.service" "$root/etc/systemd/system/"
  systemctl --root="$root" enable ssh-host-keys.service ssh.service >/dev/null 2>&1
fi

# File system identities, made for this build: fstab and the boot entry name them.
root_uuid=$(uuidgen)
esp_id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ' | tr a-f A-F)
esp_uuid="${esp_id:0:4}-${esp_id:4:4}"
cat >"$root/etc/fstab" <<EOF
# chaibox image. The root grows to the whole disk on first boot (systemd-repart, then x-systemd.growfs).
UUID=$root_uuid / ext4 defaults,x-systemd.growfs 0 1
UUID=$esp_uuid /boot/efi vfat umask=0022,shortname=mixed,nofail 0 2
EOF

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -1)
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "no kernel or initrd in the root" >&2; exit 1; }
loader=$root/usr/lib/systemd/boot/efi/systemd-boot$efi.efi
[ -f "$loader" ] || { echo "no $loader in the root" >&2; exit 1; }

step "ESP: systemd-boot, $(basename "$kernel"), $(basename "$initrd")"
esp_mb=256
mkfs.vfat -C -F 32 -n ESP -i "$esp_id" "$work/esp.img" $((esp_mb * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/chaibox
upper=$(echo "$efi" | tr a-z A-Z)
mcopy -i "$work/esp.img" "$loader" "::/EFI/BOOT/BOOT$upper.EFI"
mcopy -i "$work/esp.img" "$kernel" ::/chaibox/vmlinuz
mcopy -i "$work/esp.img" "$initrd" ::/chaibox/initrd.img
printf 'default chaibox.conf\ntimeout 0\nconsole-mode keep\n' >"$work/loader.conf"
# no_timer_check: a virtual machine on a busy host (or under emulation) can fail the kernel's IO-APIC timer
# check and panic; real hardware does not need the check.
cat >"$work/chaibox.conf" <<EOF
title   chaibox $version
linux   /chaibox/vmlinuz
initrd  /chaibox/initrd.img
options root=UUID=$root_uuid ro rootwait console=tty0 console=$console quiet no_timer_check
EOF
mcopy -i "$work/esp.img" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$work/esp.img" "$work/chaibox.conf" ::/loader/entries/chaibox.conf

step "root file system (mke2fs -d)"
used_mb=$(du -s -m "$root" | cut -f1)
# Room for the first boot before the root grows: a quarter more and 512 MiB.
root_mb=$((used_mb + used_mb / 4 + 512))
mke2fs -q -t ext4 -L chaibox-root -U "$root_uuid" -E root_owner=0:0 -d "$root" "$work/root.img" "${root_mb}M"

step "disk: GPT, ESP ${esp_mb} MiB, root ${root_mb} MiB"
disk_mb=$((1 + esp_mb + root_mb + 1))
name=chaibox-$version-$arch
img=$work/$name.img
truncate -s "${disk_mb}M" "$img"
sfdisk --quiet "$img" <<EOF
label: gpt
unit: sectors
start=2048, size=$((esp_mb * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"
start=$((2048 + esp_mb * 2048)), size=$((root_mb * 2048)), type=$root_type, name="root"
EOF
dd if="$work/esp.img" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$img" bs=1M seek=$((1 + esp_mb)) conv=notrunc,sparse status=none

step "zstd"
mkdir -p "$out"
zstd -q -T0 -9 --force "$img" -o "$out/$name.img.zst"
(cd "$out" && sha256sum "$name.img.zst" >"$name.img.zst.sha256")
raw=$(stat -c %s "$img")
packed=$(stat -c %s "$out/$name.img.zst")
step "done: $out/$name.img.zst: $((raw / 1048576)) MiB raw, $((packed / 1048576)) MiB compressed, built in $(($(date +%s) - started)) s"
echo "$out/$name.img.zst"
