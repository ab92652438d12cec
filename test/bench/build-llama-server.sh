#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` from the llama.cpp source that node-llama-cpp bundles
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), for this machine's CPU (native flags, OpenMP),
# and caches it outside the repository: ${CHAIBOX_CACHE_DIR:-~/.cache/chaibox}/llama-server-<tag>/.
# It is the baseline of `npm run bench` and the reference server that test/conformance/score.ts scores;
# nothing in chaibox or `npm test` needs it. Offline: the bundle is a git bundle of the release, so no network
# is touched. A second run is instant. Prints the binary's path on its last line.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pkg="$repo_root/node_modules/node-llama-cpp/llama"
tag="$(node -e 'console.log(require(process.argv[1]).tag)' "$pkg/llama.cpp.info.json")"
cache="${CHAIBOX_CACHE_DIR:-$HOME/.cache/chaibox}/llama-server-$tag"
# Kept in the build tree: with shared libraries the binary finds them there.
bin="$cache/build/bin/llama-server"

if [[ -x "$bin" && "${1:-}" != "--force" ]]; then
  echo "llama-server $tag already built" >&2
  echo "$bin"
  exit 0
fi

for tool in git cmake c++; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is missing (apt-get install git cmake g++)" >&2; exit 1; }
done

mkdir -p "$cache"
src="$cache/src"
if [[ ! -d "$src/.git" ]]; then
  echo "[1/3] extracting llama.cpp $tag from the bundled git release…" >&2
  rm -rf "$src"
  git clone --quiet "$pkg/gitRelease.bundle" "$src"
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# The same CPU flags as `chaibox engine build` (src/engine/native/build.ts): native, without Intel AMX, whose
# code path in this llama.cpp release crashes at the first decode on CPUs that have it.
flags=()
[[ "$(uname -m)" == "x86_64" ]] && flags=(-DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
echo "[2/3] configuring (native CPU flags without AMX, OpenMP, CPU only, no curl)…" >&2
nice -n 10 cmake -S "$src" -B "$cache/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DGGML_OPENMP=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON "${flags[@]}" >"$cache/configure.log" 2>&1 \
  || { tail -30 "$cache/configure.log" >&2; exit 1; }

echo "[3/3] compiling llama-server (10+ minutes on 2 cores; the full output goes to $cache/build.log)…" >&2
jobs="${BUILD_JOBS:-$(nproc)}"
nice -n 10 cmake --build "$cache/build" --target llama-server -j "$jobs" 2>&1 | tee "$cache/build.log" \
  | grep --line-buffered -oE '^\[ *[0-9]+(/[0-9]+|%)\]' | awk '{ printf "\r  %s", $0; fflush() } END { print "" }' >&2
[[ ${PIPESTATUS[0]} -eq 0 ]] || { tail -30 "$cache/build.log" >&2; exit 1; }

echo "llama-server $tag built" >&2
echo "$bin"
