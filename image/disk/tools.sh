#!/usr/bin/env bash
# Installs the Debian packages the image build and its test use, when a command is missing (CI is a fresh machine).
set -euo pipefail
missing=()
for pair in mmdebstrap:mmdebstrap mke2fs:e2fsprogs mkfs.vfat:dosfstools mcopy:mtools sfdisk:fdisk zstd:zstd \
  uuidgen:uuid-runtime qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}" >&2
  apt-get install -o DPkg::Lock::Timeout=600 -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -o DPkg::Lock::Timeout=600 -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
