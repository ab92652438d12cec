/**
 * node-llama-cpp's source build runs cmake through npm (`npm run -s cmake-js-llama -- <args>`, where that
 * script is `cd llama && cmake-js`). Debian's `nodejs` comes without npm, and a box needs npm for nothing
 * else, so where none is on the PATH the engine build puts this stand-in first on it: a `npm` that runs
 * exactly that one script with the cmake-js node-llama-cpp depends on, and refuses anything else.
 */
import { constants } from "node:fs";
import { access, chmod, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { nodeLlamaCppDir } from "./engine-files.js";

/** True when an executable `npm` is on `path` (a PATH value). */
export async function npmOnPath(path: string | undefined): Promise<boolean> {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    if (await access(join(dir, "npm"), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

/** Single-quotes `text` for sh. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes the stand-in as `<dir>/npm` and returns `dir`, to go first on the build's PATH. It runs cmake-js
 * with this process's Node, in node-llama-cpp's `llama` folder, as the script would.
 */
export async function writeNpmStandIn(dir: string): Promise<string> {
  const packageDir = nodeLlamaCppDir();
  const cmakeJs = join(dirname(createRequire(join(packageDir, "package.json")).resolve("cmake-js/package.json")), "bin", "cmake-js");
  const script = [
    "#!/bin/sh",
    "# Written by chaibox engine build: npm is not installed, and node-llama-cpp's build needs only this script.",
    'if [ "$1" = run ] && [ "$2" = -s ] && [ "$3" = cmake-js-llama ] && [ "$4" = -- ]; then',
    "  shift 4",
    `  cd ${shellQuoted(join(packageDir, "llama"))} && exec ${shellQuoted(process.execPath)} ${shellQuoted(cmakeJs)} "$@"`,
    "fi",
    'echo "npm is not installed; this stand-in runs only node-llama-cpp\'s cmake-js-llama script (asked: npm $*)" >&2',
    "exit 127",
    "",
  ].join("\n");
  await mkdir(dir, { recursive: true });
  const file = join(dir, "npm");
  await writeFile(file, script);
  await chmod(file, 0o755);
  return dir;
}
