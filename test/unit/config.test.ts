import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configKeys, envName, loadConfig } from "../../src/config/load.js";
import { defaultThreads, durationMs } from "../../src/config/schema.js";
import { resolvePaths } from "../../src/config/paths.js";

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "chaibox-config-"));
  const file = join(dir, "config.yaml");
  await writeFile(file, text);
  return file;
}

describe("configuration", () => {
  it("uses the schema defaults when there is no file", async () => {
    const config = await loadConfig({ env: { HOME: "/home/u" } });
    expect(config.port).toBe(8080);
    expect(config.host).toBe("0.0.0.0");
    expect(config.inference.contextSize).toBe("auto");
    expect(config.inference.keepAlive).toBe("5m");
    expect(config.inference.parallel).toBe("auto");
    expect(config.demoModel).toBe(false);
    expect(config.dataDir).toMatch(/chaibox$/);
  });

  it("layers file, then environment, then flags", async () => {
    const file = await yamlFile("port: 9000\nhost: 127.0.0.1\ninference:\n  parallel: 3\n  contextSize: 2048\n");
    const config = await loadConfig({
      file,
      env: { CHAIBOX_PORT: "9100", CHAIBOX_INFERENCE_CONTEXT_SIZE: "1024", CHAIBOX_DEMO_MODEL: "true" },
      flags: { port: 9200 },
    });
    expect(config.port).toBe(9200);
    expect(config.host).toBe("127.0.0.1");
    expect(config.inference.parallel).toBe(3);
    expect(config.inference.contextSize).toBe(1024);
    expect(config.demoModel).toBe(true);
  });

  it("lists every error of an invalid file at once", async () => {
    const file = await yamlFile("port: eighty\nbogus: 1\ninference:\n  parallel: 0\n");
    const error = await loadConfig({ file, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const messages = (error as ConfigError).errors.join("\n");
    expect(messages).toContain("port");
    expect(messages).toContain("bogus");
    expect(messages).toContain("inference.parallel");
    expect((error as ConfigError).errors.length).toBeGreaterThanOrEqual(3);
  });

  it("reports YAML syntax errors with the line", async () => {
    const file = await yamlFile("port: 1\n  host: [unclosed\n");
    await expect(loadConfig({ file, env: {} })).rejects.toThrow(/not valid YAML at line/);
  });

  it("treats a missing default file as defaults but a named missing file as an error", async () => {
    await expect(loadConfig({ file: "/nonexistent/config.yaml", env: {} })).resolves.toMatchObject({ port: 8080 });
    await expect(loadConfig({ file: "/nonexistent/config.yaml", fileRequired: true, env: {} })).rejects.toThrow(ConfigError);
  });

  it("derives environment names from key paths", () => {
    expect(envName(["dataDir"])).toBe("CHAIBOX_DATA_DIR");
    expect(envName(["inference", "keepAlive"])).toBe("CHAIBOX_INFERENCE_KEEP_ALIVE");
    const names = configKeys().map((k) => k.env);
    expect(names).toContain("CHAIBOX_PORT");
    expect(names).toContain("CHAIBOX_INFERENCE_GPU_LAYERS");
    for (const key of configKeys()) expect(key.schema.description, key.env).toBeTruthy();
  });

  it("parses durations", () => {
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs(30)).toBe(30_000);
    expect(durationMs("250ms")).toBe(250);
    expect(durationMs(-1)).toBe(Infinity);
    expect(durationMs("forever")).toBe(Infinity);
    expect(durationMs("0")).toBe(0);
  });

  it("accepts gpuLayers as auto or a number from the environment", async () => {
    expect((await loadConfig({ env: { CHAIBOX_INFERENCE_GPU_LAYERS: "12" } })).inference.gpuLayers).toBe(12);
    expect((await loadConfig({ env: { CHAIBOX_INFERENCE_GPU_LAYERS: "auto" } })).inference.gpuLayers).toBe("auto");
    await expect(loadConfig({ env: { CHAIBOX_INFERENCE_GPU_LAYERS: "lots" } })).rejects.toThrow(/inference.gpuLayers/);
  });

  it("keeps runner socket paths short and follows systemd's directories", () => {
    const deep = "/tmp/" + "d".repeat(200);
    const paths = resolvePaths(deep, {});
    expect(paths.modelsDir).toBe(`${deep}/models`);
    expect(paths.runtimeDir.length).toBeLessThan(60);
    const unit = resolvePaths("/var/lib/chaibox", { RUNTIME_DIRECTORY: "/run/chaibox", CACHE_DIRECTORY: "/var/cache/chaibox" });
    expect(unit.runtimeDir).toBe("/run/chaibox");
    expect(unit.cacheDir).toBe("/var/cache/chaibox");
  });
});

describe("default inference threads", () => {
  it("uses every core up to 2, then leaves a quarter of the cores to serving", () => {
    expect([1, 2, 3, 4, 8, 12, 16, 64].map(defaultThreads)).toEqual([1, 2, 2, 3, 6, 9, 12, 48]);
  });
});
