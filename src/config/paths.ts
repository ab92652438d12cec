/**
 * Every filesystem path chaibox uses, in one place. Under systemd the unit's `StateDirectory=`,
 * `RuntimeDirectory=`, `CacheDirectory=` and `ConfigurationDirectory=` set them; on a laptop they fall back
 * to the XDG locations (or the `--data-dir` the user gives).
 */
import { createHash } from "node:crypto";
import { homedir, tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";

/** systemd passes several directories colon-separated; the first is ours. */
function firstDir(value: string | undefined): string | undefined {
  const first = value?.split(":")[0];
  return first ? first : undefined;
}

/** Default data directory: `$STATE_DIRECTORY`, else `$XDG_DATA_HOME/chaibox`, else `~/.local/share/chaibox`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return firstDir(env.STATE_DIRECTORY) ?? join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "chaibox");
}

/** Default config file: `$CHAIBOX_CONFIG`, else `$CONFIGURATION_DIRECTORY/config.yaml`, else none. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHAIBOX_CONFIG) return env.CHAIBOX_CONFIG;
  const dir = firstDir(env.CONFIGURATION_DIRECTORY);
  return dir ? join(dir, "config.yaml") : undefined;
}

export interface Paths {
  dataDir: string;
  /** Installed models, one directory each. */
  modelsDir: string;
  /** Regenerable files (benchmark models, the demo model's source). */
  cacheDir: string;
  /** Unix sockets of the runners. Kept short: a socket path may not exceed 107 bytes. */
  runtimeDir: string;
}

export function resolvePaths(dataDir: string, env: NodeJS.ProcessEnv = process.env): Paths {
  const data = resolve(dataDir);
  // A deep data dir would push socket paths past the 107-byte limit of sun_path, so sockets live in the
  // runtime dir, named by a hash of the data dir so two instances on one machine never collide.
  const tag = createHash("sha256").update(data).digest("hex").slice(0, 10);
  const runtimeBase = firstDir(env.RUNTIME_DIRECTORY) ?? env.XDG_RUNTIME_DIR ?? tmpdir();
  const runtimeDir = firstDir(env.RUNTIME_DIRECTORY) ?? join(runtimeBase, `chaibox-${userInfo().uid}-${tag}`);
  return {
    dataDir: data,
    modelsDir: join(data, "models"),
    cacheDir: firstDir(env.CACHE_DIRECTORY) ?? join(data, "cache"),
    runtimeDir,
  };
}
