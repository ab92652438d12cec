/**
 * The GPU probe entry: `node runner-process/gpu-probe.js`. Asks node-llama-cpp which GPU backend it would use here,
 * its devices and their VRAM, prints one marked JSON line (see src/hardware/gpu-report.ts) and exits.
 *
 * It runs as its own short-lived process because loading the native binding is the runner's privilege: a
 * broken driver may crash or hang the process that loads it, and the hardware probe in the API process
 * must survive that (it kills this child after a timeout and carries on without GPU figures).
 */
import { getLlama, getLlamaGpuTypes, LlamaLogLevel } from "node-llama-cpp";
import type { GpuProbeReport } from "../../../hardware/gpu-report.js";
import { GPU_PROBE_MARKER } from "../gpu-probe-wire.js";

/** Prints the marked line, then exits once it is flushed (a pipe is asynchronous on macOS). */
function printAndExit(data: unknown, code: number): void {
  process.stdout.write(`${GPU_PROBE_MARKER}${JSON.stringify(data)}\n`, () => process.exit(code));
}

async function probe(): Promise<GpuProbeReport> {
  const supported = await getLlamaGpuTypes("supported");
  // The same choice the runner makes (model-host.ts uses gpu "auto"), so the report says what a model
  // will actually run on. build "never": "auto" would try to download llama.cpp sources when no
  // prebuilt binary fits, which fails (slowly) offline.
  const llama = await getLlama({
    gpu: "auto",
    build: "never",
    // One thread: the probe computes nothing, and the default pool is sized for inference.
    maxThreads: 1,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    // stdout carries the report, so native messages go to stderr.
    logger: (_level, message) => {
      if (message.trim() !== "") process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
    },
  });
  try {
    const gpu = llama.gpu;
    const [devices, vram] = await Promise.all([llama.getGpuDeviceNames(), llama.getVramState()]);
    return {
      backend: gpu === false ? "none" : gpu,
      supported: supported.map((t) => (t === false ? "none" : t)),
      devices,
      vram: { total: vram.total, used: vram.used, free: vram.free, unifiedSize: vram.unifiedSize },
    };
  } finally {
    await llama.dispose();
  }
}

// Exit explicitly: native handles of a disposed binding may otherwise keep the process alive.
try {
  printAndExit(await probe(), 0);
} catch (error) {
  printAndExit({ error: error instanceof Error ? error.message : String(error) }, 1);
}
