/** The package's root directory, found upward from this module: it runs from src/ (tsx) and from dist/src/. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("chaibox: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const packageRoot = findRoot();
