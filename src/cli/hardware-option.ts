/** `--hardware FILE` as the commands take it: a saved snapshot, or else this machine, probed. */
import type { Config } from "../config/schema.js";
import { resolvePaths } from "../config/paths.js";
import { loadHardwareSnapshot } from "../hardware/load.js";
import { runGpuProbe } from "../engine/native/client.js";
import { probeHardware } from "../hardware/probe.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";
import { UsageError } from "./args.js";

/** The snapshot `file` holds, or this machine's; probe warnings go to stderr so JSON on stdout stays clean. */
export async function hardwareFor(file: string | undefined, config: Config): Promise<HardwareSnapshot> {
  if (file !== undefined) {
    if (file === "") throw new UsageError("--hardware needs a snapshot file");
    return loadHardwareSnapshot(file);
  }
  const result = await probeHardware({ modelsDir: resolvePaths(config.dataDir).modelsDir, runGpuProbe });
  for (const warning of result.warnings) console.error(`chaibox: warning: ${warning}`);
  return result.snapshot;
}
