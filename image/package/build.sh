#!/usr/bin/env bash
# npm run package [-- --arch amd64|arm64]
#   Builds chaibox_<version>_<arch>.deb for Debian 13 (trixie) into .cache/package/ and prints its path on the
#   last line of stdout (all progress goes to stderr). The arch defaults to this machine's.
#   Needs root and a Debian host (apt, the npm registry). Installs dpkg-dev, lintian and debootstrap itself, and
#   for a foreign arch qemu-user-static + binfmt_misc. A second run with the same inputs prints the cached .deb
#   at once; the trixie build root and the production node_modules are cached too (keyed by what goes in).
#
# How: the JavaScript is compiled here (tsc); the production dependencies come from package-lock.json with npm
# on this host (no install scripts, optional binaries chosen for the target cpu); then the native modules
# (better-sqlite3, unix-dgram, usocket) are compiled inside a debootstrapped trixie root of the target arch,
# with trixie's own nodejs headers and compiler (through qemu-user for arm64). lintian checks the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
here=image/package

arch=$(dpkg --print-architecture)
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64) npm_cpu=x64 elf_machine=x86-64 ;;
  arm64) npm_cpu=arm64 elf_machine=aarch64 ;;
  *) echo "unsupported arch '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "npm run package needs root (debootstrap, chroot)" >&2; exit 1; }

log() { echo "== $*" >&2; }
started=$(date +%s)
version=$(node -p 'require("./package.json").version')
out=$repo/.cache/package
deb=$out/chaibox_${version}_${arch}.deb
mkdir -p "$out"

hash_files() { find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16; }
# Everything that goes into the .deb: a run with the same inputs reuses it.
inputs=$(hash_files src config system package.json package-lock.json tsconfig.json tsconfig.build.json "$here")
if [ -f "$deb" ] && [ "$(cat "$deb.key" 2>/dev/null)" = "$arch-$inputs" ]; then
  log "up to date: $deb"
  echo "$deb"
  exit 0
fi

apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}
apt_install dpkg-dev lintian debootstrap file patchelf binutils
strip=strip
if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
  apt_install binutils-aarch64-linux-gnu
  strip=aarch64-linux-gnu-strip
fi
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  apt_install qemu-user-static binfmt-support
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
fi

# 1. The build root: trixie of the target arch, with its nodejs (headers in libnode-dev) and a compiler.
root=$(bash "$here/build-root.sh" "$arch")

# 2. Production node_modules, native modules built in the root. Keyed by the lock file and MODULES_RECIPE
# (raise it when the steps below change what they produce).
MODULES_RECIPE=1
modules_key=$(printf '%s\n' "$arch" "$MODULES_RECIPE" "$(hash_files package.json package-lock.json)" | sha256sum | cut -c1-16)
modules=$out/modules-$arch-$modules_key
if [ ! -e "$modules/.complete" ]; then
  log "production dependencies for $arch"
  rm -rf "$modules" "$root/build"
  mkdir -p "$root/build/app" "$root/build/npm"
  cp package.json package-lock.json "$root/build/app/"
  # Only what production needs, with the optional prebuilt binaries of the target cpu; no install scripts here
  # (the native ones run in the root below, node-llama-cpp's postinstall only looks for a GPU build).
  (cd "$root/build/app" && npm ci --omit=dev --ignore-scripts --os=linux --cpu="$npm_cpu" --no-audit --no-fund --loglevel=error >&2)
  # node-llama-cpp's binaries: the CPU one and, where it exists, Vulkan (Mesa drives Intel, AMD and others).
  # Not CUDA (over 500 MB; needs NVIDIA's driver stack, which the box does not ship).
  for dir in "$root/build/app/node_modules/@node-llama-cpp"/*; do
    case "$(basename "$dir")" in
      "linux-$npm_cpu" | "linux-$npm_cpu-vulkan") ;;
      *) rm -rf "$dir" ;;
    esac
  done
  # node-gyp from this host's npm (plain JavaScript) runs in the root with trixie's node.
  cp -a "$(npm root -g)/npm/." "$root/build/npm/"
  log "compiling the native modules in the $arch root"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp /bin/sh -ec '
    for m in better-sqlite3 unix-dgram usocket; do
      cd /build/app/node_modules/$m
      node /build/npm/node_modules/node-gyp/bin/node-gyp.js rebuild --release --nodedir=/usr >/tmp/gyp-$m.log 2>&1 \
        || { tail -30 /tmp/gyp-$m.log; exit 1; }
      # Only the module itself stays: no objects, no sources.
      find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
      find build/Release -mindepth 1 ! -name "*.node" -exec rm -rf {} +
      rm -f build/Release/test_extension.node
      strip --strip-unneeded build/Release/*.node
    done
    rm -rf /build/app/node_modules/better-sqlite3/deps /build/app/node_modules/better-sqlite3/src
    # They load in trixie'"'"'s node of this arch (through qemu-user for a foreign one).
    cd /build/app && node -e '"'"'
      const db = new (require("better-sqlite3"))(":memory:");
      if (db.prepare("select 41 + 1 as n").get().n !== 42) throw new Error("better-sqlite3 gave a wrong answer");
      require("unix-dgram"); require("usocket");
      console.log(`native modules load in node ${process.version} on ${process.arch}`);'"'"'
  ' >&2
  for module in "$root"/build/app/node_modules/{better-sqlite3,unix-dgram,usocket}/build/Release/*.node; do
    file -b "$module" | grep -q "ELF 64-bit.*$elf_machine" || { file "$module" >&2; echo "$module is not a $arch ELF" >&2; exit 1; }
  done
  # The extracted llama.cpp sources go; the bundle they come from (34 MB) stays, for `chaibox engine build`
  # (chaibox-engine.service), which compiles the binding for the box's own CPU without network.
  rm -rf "$root/build/app/node_modules/node-llama-cpp/llama/llama.cpp" "$root/build/app/node_modules/node-llama-cpp/llama/localBuilds"
  mkdir -p "$modules"
  mv "$root/build/app/node_modules" "$modules/node_modules"
  rm -rf "$root/build"
  touch "$modules/.complete"
fi

# 3. The JavaScript.
log "compiling chaibox"
npm run build --silent >&2

# 4. The package tree.
log "assembling the package"
pkg=$out/tree-$arch
rm -rf "$pkg"
install -d "$pkg/DEBIAN" "$pkg/usr/lib/chaibox" "$pkg/usr/bin" "$pkg/usr/share/doc/chaibox" "$pkg/usr/share/lintian/overrides"
cp -a dist config package.json "$pkg/usr/lib/chaibox/"
rm -f "$pkg/usr/lib/chaibox/dist/.tsbuildinfo"
cp -a "$modules/node_modules" "$pkg/usr/lib/chaibox/"
# What only the packages' own development needs goes: tests, build tools, VCS and lint files, docs pages.
nm=$pkg/usr/lib/chaibox/node_modules
rm -rf "$nm/.bin" "$nm/node-gyp" "$nm/pino/index.html" "$nm/fastify/integration"
find "$nm" \( -name .gitignore -o -name .npmignore -o -name .gitattributes -o -name '.eslintrc*' -o -name .github \) -prune -exec rm -rf {} +
find "$nm" -type d \( -name test -o -name tests -o -name __tests__ \) -prune -exec rm -rf {} +
# node loads these files, nothing executes them: no file keeps an executable bit (shared libraries included).
find "$nm" -type f -exec chmod 644 {} +
# The prebuilt llama.cpp libraries come with their symbols and a RUNPATH into their build machine's Vulkan
# SDK (/opt/vulkan-sdk): stripped, and the RUNPATH reduced to their own directories ($ORIGIN...).
find "$nm" -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.node' \) -exec "$strip" --strip-unneeded {} +
find "$nm" -type f \( -name '*.so' -o -name '*.node' \) -print0 | while IFS= read -r -d '' lib; do
  runpath=$(patchelf --print-rpath "$lib" 2>/dev/null) || continue
  kept=$(printf '%s' "$runpath" | tr ':' '\n' | grep '^\$ORIGIN' | paste -sd: || true)
  [ "$kept" = "$runpath" ] || patchelf --set-rpath "$kept" "$lib"
done
install -D -m 644 "$here/chaibox.1" "$pkg/usr/share/man/man1/chaibox.1"
gzip -9n "$pkg/usr/share/man/man1/chaibox.1"
cp -a system/. "$pkg/"
install -m 755 "$here/chaibox" "$pkg/usr/bin/chaibox"
chmod 755 "$pkg/usr/lib/chaibox/dist/src/cli/main.js"
install -m 644 "$here/debian/copyright" "$pkg/usr/share/doc/chaibox/copyright"
printf 'chaibox (%s) trixie; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "${CHAIBOX_MAINTAINER:-chaibox maintainers <chaibox@users.noreply.github.com>}" "$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")" \
  | gzip -9n >"$pkg/usr/share/doc/chaibox/changelog.gz"
install -m 644 "$here/debian/lintian-overrides" "$pkg/usr/share/lintian/overrides/chaibox"
for script in postinst prerm postrm; do install -m 755 "$here/debian/$script" "$pkg/DEBIAN/$script"; done
(cd "$pkg" && find etc -type f | sed 's|^|/|' | sort) >"$pkg/DEBIAN/conffiles"
# Permissions as a package wants them (the checkout's umask must not leak in).
find "$pkg" -type d -exec chmod 755 {} +
find "$pkg/usr/lib/chaibox" "$pkg/etc" "$pkg/usr/share" -type f -exec chmod go-w,a+r {} +

# Shared libraries the binaries need, as trixie's dpkg-shlibdeps sees them in the root of the target arch.
# Vulkan's loader is a Recommends: without it node-llama-cpp falls back to its CPU binary.
rm -rf "$root/shlibs" && mkdir -p "$root/shlibs/debian"
(cd "$pkg/usr/lib/chaibox" && find node_modules -type f \( -name '*.node' -o -name '*.so*' \) -exec cp --parents -t "$root/shlibs" {} +)
printf 'Source: chaibox\n\nPackage: chaibox\nArchitecture: any\n' >"$root/shlibs/debian/control"
shlibs() {
  chroot "$root" /bin/sh -ec "cd /shlibs && find node_modules $1 -type f \( -name '*.node' -o -name '*.so*' \) -print0 \
    | xargs -0 dpkg-shlibdeps -O -l/shlibs/node_modules/@node-llama-cpp/linux-$npm_cpu/bins/linux-$npm_cpu \
    -l/shlibs/node_modules/@node-llama-cpp/linux-$npm_cpu-vulkan/bins/linux-$npm_cpu-vulkan 2>/dev/null" | sed 's/^shlibs:Depends=//'
}
depends=$(shlibs "! -path '*vulkan*'")
vulkan=$(shlibs "-path '*vulkan*'" | tr ',' '\n' | sed 's/^ *//' | grep -i vulkan | paste -sd, || true)
rm -rf "$root/shlibs"

installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
{
  echo "Package: chaibox"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: ${CHAIBOX_MAINTAINER:-chaibox maintainers <chaibox@users.noreply.github.com>}"
  echo "Installed-Size: $installed_size"
  echo "Depends: nodejs (>= 20), systemd, $depends"
  echo "Recommends: avahi-daemon, libnss-mdns, polkitd${vulkan:+, $vulkan}"
  # The engine build for this CPU (chaibox-engine.service) runs only where these are installed.
  echo "Suggests: cmake, make, gcc, g++, git"
  echo "Section: net"
  echo "Priority: optional"
  echo "Homepage: https://github.com/chaibox/chaibox"
  echo "Description: home AI box: local LLMs for every app in the house"
  echo " chaibox runs language models locally with llama.cpp and serves them to the"
  echo " apps of a home network through Chai (OpenAI Chat Completions and Responses"
  echo " wire formats with discovery) and the Ollama API. It is advertised over mDNS,"
  echo " set up from a phone through its web UI, and pairs apps with their own tokens."
} >"$pkg/DEBIAN/control"

log "dpkg-deb --build"
rm -f "$deb" "$deb.key"
# gzip: xz takes minutes for these 200 MB on a small builder, and lintian refuses zstd.
dpkg-deb --root-owner-group -Zgzip -z9 --build "$pkg" "$deb" >&2
log "lintian"
lintian --fail-on error,warning "$deb" >&2 || { rm -f "$deb"; echo "lintian found problems (above)" >&2; exit 1; }
echo "$arch-$inputs" >"$deb.key"
rm -rf "$pkg"
log "built $(du -h "$deb" | cut -f1) ($(( installed_size / 1024 )) MB installed) in $(( $(date +%s) - started )) s"
echo "$deb"
