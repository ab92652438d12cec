/**
 * The one door to the native side: everything outside engine/native starts and talks to the three child
 * programs (the runner, the GGUF insights probe, the GPU probe) through this module, and none of it knows a
 * child's path or protocol. The children themselves are in runner/, the API-process side in launcher/, and
 * the data they send back is typed in model-traits.ts, insights-table.ts and gpu-probe-wire.ts.
 */
export { ChildProcessLauncher, DEFAULT_LOAD_TIMEOUT_MS, type ChildProcessLauncherOptions } from "./launcher/child-process-launcher.js";
export { SystemdLauncher, runnerEnvironment, type SystemdLauncherOptions } from "./launcher/systemd-launcher.js";
export { RunnerUnitError, type RunnerUnitRequest, type RunnerUnits, type RunnerUnitWatch } from "./launcher/runner-units.js";
export type { RunnerLogger } from "./launcher/output-log.js";
export { InsightsProbe } from "./launcher/insights-probe.js";
export { checkModelLoads } from "./launcher/load-check.js";
export { runGpuProbe, DEFAULT_GPU_PROBE_TIMEOUT_MS, type GpuProbeOptions } from "./launcher/gpu-probe-client.js";
