/** The writer of `build-state.json`, the progress of `chaibox engine build` that the API shows (engine-files.ts reads it). */
import { rename, rm, writeFile } from "node:fs/promises";
import { buildStatePath, type EngineBuildState } from "./engine-files.js";

/**
 * Keeps `build-state.json` up to date while a build runs, so the API can show its progress: each update is
 * written to a temporary file and renamed (a reader never sees half a file), one at a time and in order.
 * Writing it is best effort: a build never fails because its progress could not be recorded.
 */
export class BuildStateFile {
  private readonly state: EngineBuildState;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    step: string,
    private readonly path = buildStatePath(),
  ) {
    this.state = { state: "building", percent: 0, step, pid: process.pid, startedAt: new Date().toISOString() };
    this.write();
  }

  /** Records a progress line, and the share compiled when it says. */
  update(step: string, percent?: number): void {
    this.state.step = step;
    if (percent !== undefined) this.state.percent = percent;
    this.write();
  }

  /** Records the failure; resolves once it is written. */
  async fail(error: string): Promise<void> {
    this.state.state = "failed";
    this.state.error = error;
    this.write();
    await this.writes;
  }

  /** A successful build leaves no state behind (its manifest says it is built). */
  async remove(): Promise<void> {
    await this.writes;
    await rm(this.path, { force: true }).catch(() => undefined);
  }

  /** Resolves once every update so far is on disk. */
  async written(): Promise<void> {
    await this.writes;
  }

  private write(): void {
    const text = `${JSON.stringify(this.state)}\n`;
    this.writes = this.writes
      .then(async () => {
        await writeFile(`${this.path}.tmp`, text);
        await rename(`${this.path}.tmp`, this.path);
      })
      .catch(() => undefined);
  }
}

