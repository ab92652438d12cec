/** Starts a real, listening chaibox on a free port with a generated model installed, for client tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { resolveConfig } from "../../src/config/load.js";
import { startServer, type RunningServer } from "../../src/main.js";
import { ModelStore } from "../../src/models/store.js";
import type { PairingOptions } from "../../src/auth/pairing.js";
import { testModelPath, type TestPreset } from "./models.js";

export interface TestServer extends RunningServer {
  baseURL: string;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

export interface TestServerOptions {
  /** Installed models: id → test preset. Default `{ tiny: "tiny" }`. */
  models?: Record<string, TestPreset>;
  inference?: Record<string, unknown>;
  bodyLimit?: number;
  /** A hardware snapshot file to act as if on (`serve --hardware`). Default: this machine, without the GPU probe. */
  hardwareFile?: string;
  /** `models.benchmarkWhenIdle`. Default "forever": no background benchmark loads a model behind a test's back. */
  benchmarkWhenIdle?: string;
  /**
   * Serve this data dir, e.g. one an earlier test server used, to test what survives a restart. Models
   * already installed there are kept; the dir is left in place on dispose (its owner removes it). Default: a
   * new temporary dir, removed on dispose.
   */
  dataDir?: string;
  /** More `models.*` settings (a test catalog, a local Hugging Face endpoint). */
  modelsConfig?: Record<string, unknown>;
  /**
   * Whether the API needs tokens (`auth.required`). Default false: tests of other parts run as
   * `serve --no-auth` does; auth tests turn it on and make tokens with `server.auth.tokens.create`.
   */
  auth?: boolean;
  /** Pairing timings, e.g. a 1 s polling interval. Default: the server's. */
  pairing?: PairingOptions;
  /** More top-level settings (`http`, `trustProxy`). */
  config?: Record<string, unknown>;
  /** Collects the server's log lines at level warn and above (parsed JSON), for tests of what it logs. */
  logs?: Record<string, unknown>[];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "chaibox-test-")));
  const store = await ModelStore.open(dataDir);
  for (const [id, preset] of Object.entries<TestPreset>(options.models ?? { tiny: "tiny" })) {
    if (options.dataDir !== undefined && (await store.get(id))) continue;
    await store.add(testModelPath(preset), { id, source: { type: "generated", ref: preset } });
  }
  const config = resolveConfig({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
    inference: { threads: 1, parallel: 2, contextSize: 2048, ...options.inference },
    models: { benchmarkWhenIdle: options.benchmarkWhenIdle ?? "forever", ...options.modelsConfig },
    auth: { required: options.auth ?? false },
    // Dozens of test servers must not multicast on the host's network; the mDNS system tests advertise.
    mdns: "off",
    ...options.config,
  });
  const logs = options.logs;
  const logger = logs
    ? pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) })
    : pino({ level: process.env.CHAIBOX_TEST_LOG ?? "silent" });
  // The GPU probe (a node-llama-cpp child) is the hardware tests' business; here it would only add seconds.
  const server = await startServer(config, {
    logger,
    probe: { gpuProbe: false },
    ...(options.hardwareFile !== undefined && { hardwareFile: options.hardwareFile }),
    ...(options.pairing !== undefined && { pairing: options.pairing }),
  });
  return {
    ...server,
    baseURL: `${server.url}/v1`,
    async dispose() {
      await server.close(2000);
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
