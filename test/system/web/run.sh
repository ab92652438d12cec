#!/usr/bin/env bash
# The web UI's browser tests: Debian's Chromium driven by playwright-core at a phone's size. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v chromium >/dev/null; then
  echo "== installing chromium"
  apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
fi
# The page is served from the build.
[ -f dist/web/index.html ] || npm run build >/dev/null
echo "== web UI in Chromium (screenshots in .cache/test-artifacts/web/)"
npx vitest run --config test/system/web/vitest.config.ts
