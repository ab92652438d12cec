/**
 * Wiring: which launcher starts the runners. Transient systemd units when chaibox runs under systemd and may
 * talk to it over D-Bus, else child processes. Decided once at start and logged in one line saying why. The
 * composition root's choice: engine/ offers both launchers, platform/ the systemd side of the units.
 */
import type { RunnerLauncher } from "../engine/runner-client.js";
import { ChildProcessLauncher, SystemdLauncher, type RunnerLogger } from "../engine/native/client.js";
import type { SystemdManager } from "../platform/systemd-manager.js";

/** `inference.launcher`: auto (default), systemd or process. */
export type LauncherSetting = "auto" | "systemd" | "process";

export interface LauncherChoice {
  launcher: RunnerLauncher;
  kind: "systemd" | "process";
  /** Disconnects from the bus (after the runners have stopped). */
  close(): void;
}

/**
 * Why this process is not a systemd service's own process, or undefined when it is: `$INVOCATION_ID` is set
 * for every unit systemd runs, and `$SYSTEMD_EXEC_PID` (systemd 248 and later) names the process systemd
 * started. Both are inherited, so a chaibox started inside some other service (a CI job under a runner
 * service, a shell in a container's unit) sees them too; the PID tells it apart.
 */
export function notUnderSystemd(env: NodeJS.ProcessEnv, pid: number = process.pid): string | undefined {
  if (env.INVOCATION_ID === undefined || env.INVOCATION_ID === "") return "chaibox is not running as a systemd service";
  const execPid = env.SYSTEMD_EXEC_PID;
  if (execPid !== undefined && execPid !== "" && Number(execPid) !== pid) {
    return `chaibox runs inside a systemd service it is not the process of (SYSTEMD_EXEC_PID=${execPid})`;
  }
  return undefined;
}

export interface ChooseLauncherOptions {
  setting: LauncherSetting;
  runtimeDir: string;
  logger: RunnerLogger;
  env?: NodeJS.ProcessEnv;
  /** How systemd is reached (default: the system bus); tests of the choice pass their own. */
  connect?: () => Promise<SystemdManager>;
}

/** Picks the launcher for `setting` and logs the choice once; never rejects (systemd missing → child processes). */
export async function chooseLauncher(options: ChooseLauncherOptions): Promise<LauncherChoice> {
  const { setting, runtimeDir, logger } = options;
  const env = options.env ?? process.env;
  const processes = new ChildProcessLauncher({ runtimeDir, logger });
  const useProcesses = (level: "info" | "warn", why: string): LauncherChoice => {
    logger[level]({ launcher: "process", setting }, `runners start as child processes: ${why}`);
    return { launcher: processes, kind: "process", close: () => undefined };
  };
  if (setting === "process") return useProcesses("info", "inference.launcher is process");
  const outside = notUnderSystemd(env);
  if (outside !== undefined && setting === "auto") return useProcesses("info", outside);
  // The D-Bus client is imported only here, under systemd: a chaibox started by hand never loads it.
  const { SystemdManager } = await import("../platform/systemd-manager.js");
  const { SystemdRunnerUnits } = await import("../platform/systemd-runner-units.js");
  let manager: SystemdManager;
  try {
    manager = await (options.connect ?? SystemdManager.connect)();
  } catch (error) {
    return useProcesses("warn", `systemd cannot be reached over the system D-Bus (${(error as Error).message})`);
  }
  const launcher = new SystemdLauncher({ manager: new SystemdRunnerUnits(manager), runtimeDir, logger, fallback: processes, env });
  logger.info({ launcher: "systemd", setting }, "runners start as transient systemd units (chaibox-runner-<model>.service)");
  return { launcher, kind: "systemd", close: () => manager.disconnect() };
}
