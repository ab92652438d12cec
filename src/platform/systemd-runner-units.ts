/**
 * engine's {@link RunnerUnits} port over systemd's manager: each runner a transient service with the name,
 * memory limit and hardening of runner-unit-spec.ts, followed and signalled over D-Bus (systemd-manager.ts).
 * systemd's error names become the port's {@link RunnerUnitError} reasons, so the launcher knows no D-Bus.
 */
import { RunnerUnitError, type RunnerUnitRequest, type RunnerUnits, type RunnerUnitWatch } from "../engine/native/client.js";
import { runnerMemoryMax, runnerUnitName, runnerUnitProperties } from "./runner-unit-spec.js";
import { dbusErrorName, type SystemdManager } from "./systemd-manager.js";

/** The error as the port's reason when systemd said `name`; else the error as it came. */
function translated(error: unknown, name: string, reason: RunnerUnitError["reason"]): unknown {
  return dbusErrorName(error) === name ? new RunnerUnitError(reason, (error as Error).message) : error;
}

/** Runner units as transient systemd services. */
export class SystemdRunnerUnits implements RunnerUnits {
  constructor(private readonly manager: SystemdManager) {}

  unitName(modelId: string): string {
    return runnerUnitName(modelId);
  }

  async start(unit: string, request: RunnerUnitRequest): Promise<{ memoryMaxBytes: number | undefined }> {
    const memoryMaxBytes = runnerMemoryMax(request.estimatedRamBytes);
    const properties = runnerUnitProperties({
      modelId: request.modelId,
      execPath: request.execPath,
      argv: request.argv,
      memoryMaxBytes,
      ...(request.user !== undefined && { user: request.user }),
      environment: request.environment,
    });
    try {
      await this.manager.startTransient(unit, properties);
    } catch (error) {
      throw translated(error, "org.freedesktop.systemd1.UnitExists", "exists");
    }
    return { memoryMaxBytes };
  }

  watch(unit: string): Promise<RunnerUnitWatch> {
    return this.manager.watch(unit);
  }

  async kill(unit: string, signal: NodeJS.Signals): Promise<void> {
    try {
      await this.manager.kill(unit, signal);
    } catch (error) {
      throw translated(error, "org.freedesktop.systemd1.NoSuchUnit", "missing");
    }
  }

  resetFailed(unit: string): Promise<void> {
    return this.manager.resetFailed(unit);
  }
}
