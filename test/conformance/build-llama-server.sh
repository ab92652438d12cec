#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` from the llama.cpp source that node-llama-cpp bundles
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), so it can be scored by `chaibox conformance`
# with no network. The result is cached outside the repository; a second run is instant.
# Prints the binary's path on its last line. Not part of `npm test`: the build takes 10+ minutes on 2 cores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
commit="$(git bundle list-heads "$bundle" | awk '{print $1; exit}')"
cache="${CHAIBOX_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chaibox}/llama-server-${commit:0:12}"
binary="$cache/build/bin/llama-server"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

mkdir -p "$cache"
if [[ ! -d "$cache/src/.git" ]]; then
  rm -rf "$cache/src"
  git clone --quiet "$bundle" "$cache/src"
  git -C "$cache/src" checkout --quiet "$commit"
fi

jobs="${JOBS:-$(nproc)}"
# CPU only, no curl (nothing to download), only the server target.
nice -n 10 cmake -S "$cache/src" -B "$cache/build" -DCMAKE_BUILD_TYPE=Release \
  -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=ON >&2
nice -n 10 cmake --build "$cache/build" --target llama-server -j "$jobs" >&2
echo "$binary"
