/**
 * `chaibox hw` as a user runs it, on this machine: its figures are checked against what the kernel itself
 * says (/proc/cpuinfo, /proc/meminfo, statfs), so a probe that misreads the machine fails here.
 */
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { tmpdir } from "node:os";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HardwareSnapshotSchema, type HardwareSnapshot } from "../../src/hardware/snapshot.js";
import { repoRoot, runCli } from "../helpers/cli.js";

const root = repoRoot;
const run = runCli;
const fixtures = join(root, "test/fixtures/hardware");

/** /proc/meminfo's MemTotal in bytes. */
async function memTotalBytes(): Promise<number> {
  const kb = /^MemTotal:\s+(\d+) kB/m.exec(await readFile("/proc/meminfo", "utf8"))?.[1];
  if (kb === undefined) throw new Error("no MemTotal in /proc/meminfo");
  return Number(kb) * 1024;
}

/** /proc/cpuinfo's first `model name`, without trademark marks; undefined where there is none (arm64). */
async function kernelCpuModel(): Promise<string | undefined> {
  const name = /^model name\s*:\s*(.+)$/m.exec(await readFile("/proc/cpuinfo", "utf8"))?.[1];
  return name
    ?.replace(/\((?:R|TM|C)\)|[®™©]/gi, "")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Whether the kernel has a GPU driver that can compute bound here: an NVIDIA device node, or a DRM render
 * node driven by i915/xe/amdgpu/radeon/nouveau (a virtio or bochs display adapter does not count).
 */
function kernelSeesComputeGpu(): boolean {
  if (existsSync("/dev/nvidiactl") || existsSync("/dev/kfd")) return true;
  if (!existsSync("/sys/class/drm")) return false;
  return readdirSync("/sys/class/drm")
    .filter((n) => n.startsWith("renderD"))
    .some((n) => {
      try {
        return ["i915", "xe", "amdgpu", "radeon", "nouveau", "nvidia"].includes(basename(readlinkSync(`/sys/class/drm/${n}/device/driver`)));
      } catch {
        return false;
      }
    });
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-hw-"));
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

describe.runIf(process.platform === "linux")("chaibox hw on this machine", () => {
  it("prints the real CPU, RAM and disk, and whether there is a GPU", { timeout: 120_000 }, async () => {
    const result = await run(["hw", "--data-dir", dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    const line = (prefix: string) => lines.find((l) => l.startsWith(prefix)) ?? "";

    const cpuModel = await kernelCpuModel();
    expect(line("CPU: ")).toMatch(/^CPU: .+, \d+ cores/);
    if (cpuModel !== undefined) expect(line("CPU: ")).toContain(`CPU: ${cpuModel}, `);

    const ramGB = ((await memTotalBytes()) / 1e9).toFixed(1);
    expect(line("RAM: ")).toMatch(new RegExp(`^RAM: ${ramGB.replace(".", "\\.")} GB total, \\d+\\.\\d GB available`));

    // The models dir does not exist yet: the disk is the file system of its nearest existing parent.
    const fs = await statfs(dataDir);
    const diskTotal = `${((fs.blocks * fs.bsize) / 1e9).toFixed(1)} GB`;
    expect(line("Disk: ")).toMatch(new RegExp(`^Disk: \\d+(\\.\\d)? [GT]B free of ${diskTotal.replace(".", "\\.")} \\(${join(dataDir, "models")}\\)$`));

    if (kernelSeesComputeGpu()) {
      expect(line("GPU: ")).not.toBe("GPU: none (CPU only)");
    } else {
      expect(lines).toContain("GPU: none (CPU only)");
      expect(lines).toContain("GPU backends: none (llama.cpp runs on the CPU)");
      expect(result.stderr).toBe("");
    }
  });

  it("--json prints a valid snapshot of this machine", { timeout: 120_000 }, async () => {
    const result = await run(["hw", "--json", "--data-dir", dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const snapshot = JSON.parse(result.stdout) as HardwareSnapshot;
    expect([...Value.Errors(HardwareSnapshotSchema, snapshot)]).toEqual([]);
    expect(snapshot.source).toBe("probe");
    expect(Math.abs(snapshot.memory.totalBytes - (await memTotalBytes()))).toBeLessThan(1024 * 1024);
    expect(snapshot.memory.availableBytes).toBeLessThanOrEqual(snapshot.memory.totalBytes);
    expect(snapshot.disk.path).toBe(join(dataDir, "models"));
    if (!kernelSeesComputeGpu()) expect(snapshot).toMatchObject({ gpus: [], backends: [] });
  });
});

describe("chaibox hw --hardware FILE", () => {
  it("prints the saved snapshot instead of this machine", async () => {
    const file = join(fixtures, "rtx-4090-24gb.json");
    const text = await run(["hw", "--hardware", file]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim().split("\n")).toEqual([
      "Simulated: Desktop with NVIDIA GeForce RTX 4090 24 GB, 64 GB RAM (snapshot taken 2026-11-20T10:00:00.000Z)",
      expect.stringMatching(/^CPU: AMD Ryzen 9 7950X 16-Core Processor, 16 cores, 32 threads; SIMD: sse3 .* avx512f /),
      "RAM: 66.5 GB total, 64.0 GB available, 96 GB/s",
      "GPU: NVIDIA GeForce RTX 4090, 25.8 GB VRAM, 25.4 GB free, 1.0 TB/s",
      "Disk: 1.41 TB free of 1.97 TB (/var/lib/chaibox/models)",
      "GPU backends: cuda",
      "OS: Ubuntu 24.04.1 LTS, linux x64",
    ]);
    const json = await run(["hw", "--json", "--hardware", file]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(await readFile(file, "utf8")));
  });

  it("refuses a bad snapshot, listing every problem", async () => {
    const bad = JSON.parse(await readFile(join(fixtures, "x86-4gb-cpu.json"), "utf8")) as Record<string, Record<string, unknown>>;
    bad.memory!.totalBytes = -1;
    bad.cpu!.logicalCores = "four";
    const file = join(dataDir, "bad.json");
    await writeFile(file, JSON.stringify(bad));
    const result = await run(["hw", "--hardware", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`invalid hardware snapshot (${file})`);
    expect(result.stderr).toContain("memory.totalBytes");
    expect(result.stderr).toContain("cpu.logicalCores");
  });

  it("explains itself", async () => {
    const help = await run(["hw", "--help"]);
    expect(help.code).toBe(0);
    for (const option of ["--json", "--hardware FILE", "--data-dir", "unified"]) expect(help.stdout).toContain(option);
    expect((await run(["--help"])).stdout).toMatch(/^\s+hw\s/m);
    expect((await run(["hw", "extra"])).code).toBe(2);
  });
});
