/**
 * The pull path end to end: the real pull manager and model store against a real local HTTP server that
 * serves generated GGUF files and misbehaves on request (cut connections, ignored ranges, 503s).
 */
import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Catalog } from "../../src/models/catalog.js";
import { sourcePolicy } from "../../src/models/pull/source-policy.js";
import { PullManager, type PullManagerOptions, type PullStatus } from "../../src/models/pull/pull-manager.js";
import { resolvePullSource } from "../../src/models/pull/source.js";
import { ModelStore } from "../../src/models/store.js";
import { testCatalogEntry } from "../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";

/** `expect.stringMatching`, typed so that it can sit in an object literal. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

let server: FileServer;
let tiny: Buffer;
let demo: Buffer;
let dataDir: string;
let store: ModelStore;
const managers: PullManager[] = [];

/** A one-entry catalog whose files are `hf:test/tiny-chat/<file>`, served at `/test/tiny-chat/resolve/main/<file>`. */
function catalog(files: { quant: string; file: string; sha256?: string; sizeBytes?: number }[]): Catalog {
  const entry = testCatalogEntry(
    files.map((f) => ({
      quant: f.quant,
      uri: `hf:test/tiny-chat/${f.file}`,
      sizeBytes: f.sizeBytes ?? tiny.length,
      ...(f.sha256 !== undefined && { sha256: f.sha256 }),
    })),
  );
  return { version: 1, models: [entry] };
}

function manager(options: Partial<PullManagerOptions> & { catalog?: Catalog; hfToken?: string } = {}): PullManager {
  const { catalog: cat, hfToken, ...rest } = options;
  const created = new PullManager({
    store,
    dataDir,
    resolve: (ref) =>
      resolvePullSource(ref, {
        hfEndpoint: server.origin,
        ...(hfToken !== undefined && { hfToken }),
        catalog: async () => cat ?? catalog([{ quant: "Q8_0", file: "tiny.gguf" }]),
      }),
    retry: { retries: 3, baseDelayMs: 10, maxDelayMs: 50 },
    freeSpaceReserve: 0,
    progressIntervalMs: 10,
    // The test file server is a local mirror on loopback: allowed explicitly, as an owner would.
    policy: sourcePolicy({ allowHosts: ["127.0.0.1"] }),
    ...rest,
  });
  managers.push(created);
  return created;
}

/** Everything left in `<dataDir>/downloads` (partials, sidecars, locks). */
async function leftovers(): Promise<string[]> {
  return readdir(join(dataDir, "downloads")).catch(() => []);
}

async function whenReceived(pulls: PullManager, id: string, bytes: number): Promise<PullStatus> {
  for await (const event of pulls.events(id)) if (event.pull.receivedBytes >= bytes || event.type === "done" || event.type === "error") return event.pull;
  throw new Error("the pull ended without events");
}

beforeAll(async () => {
  // A second, different file for "the file changed on the server" (the global setup makes only Q8_0 ones).
  await ensureTestModels([{ preset: "tiny", quant: "f16" }]);
  tiny = await readFile(testModelPath("tiny"));
  demo = await readFile(testModelPath("demo"));
  server = await startFileServer();
});
afterAll(async () => server.close());
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-pull-"));
  store = await ModelStore.open(dataDir);
  server.files.clear();
  server.requests.length = 0;
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await rm(dataDir, { recursive: true, force: true });
});

describe("pulling a model", () => {
  it("resumes a connection dropped half-way with a Range request, and installs the exact bytes", async () => {
    server.files.set("/cut/tiny.gguf", { body: tiny, dropAfterBytes: 70_000 });
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/cut/tiny.gguf") });
    expect(started.modelId).toBe("tiny");
    const model = await pulls.result(started.id);

    const gets = server.gets("/cut/tiny.gguf");
    expect(gets.map((g) => g.range)).toEqual([undefined, "bytes=70000-"]);
    expect(gets[1]?.ifRange).toMatch(/^"/);
    expect(gets[1]?.status).toBe(206);
    expect(server.bytesServed("/cut/tiny.gguf")).toBe(tiny.length);
    expect(model.sha256).toBe(sha256Of(tiny));
    const installed = await store.require("tiny");
    expect(sha256Of(await readFile(installed.path))).toBe(sha256Of(tiny));
    expect(installed.source).toEqual({ type: "url", ref: server.url("/cut/tiny.gguf") });
    expect(pulls.get(started.id)).toMatchObject({ state: "done", retries: 1, receivedBytes: tiny.length, totalBytes: tiny.length });
    expect(await leftovers()).toEqual([]);
  });

  it("resumes the partial a stopped process left behind", async () => {
    server.files.set("/restart/tiny.gguf", { body: tiny, dropAfterBytes: 50_000 });
    const first = manager({ retry: { retries: 0, baseDelayMs: 10, maxDelayMs: 10 } });
    const failed = await first.wait((await first.start({ ref: server.url("/restart/tiny.gguf") })).id);
    expect(failed.state).toBe("failed");
    expect(failed.error?.code).toBe("download_failed");
    expect((await leftovers()).sort()).toEqual(expect.arrayContaining([matching(/\.partial$/), matching(/\.json$/)]));
    expect(await store.list()).toEqual([]);

    const second = manager();
    const resumed = await second.start({ ref: server.url("/restart/tiny.gguf"), id: "tiny:resumed" });
    const model = await second.result(resumed.id);
    expect(server.gets("/restart/tiny.gguf").map((g) => g.range)).toEqual([undefined, "bytes=50000-"]);
    expect(second.get(resumed.id).resumedFromBytes).toBe(50_000);
    expect(model.sha256).toBe(sha256Of(tiny));
  });

  it("rejects a wrong sha256 from the catalog: checksum_mismatch, nothing registered, no partial left", async () => {
    server.files.set("/test/tiny-chat/resolve/main/tiny.gguf", { body: tiny });
    const pulls = manager({ catalog: catalog([{ quant: "Q8_0", file: "tiny.gguf", sha256: "0".repeat(64) }]) });
    const started = await pulls.start({ ref: "tiny-chat" });
    expect(started).toMatchObject({ modelId: "tiny-chat", totalBytes: tiny.length, sha256: "0".repeat(64) });
    await expect(pulls.result(started.id)).rejects.toMatchObject({ code: "checksum_mismatch", message: matching(/SHA-256/) });
    expect(pulls.get(started.id).state).toBe("failed");
    expect(await store.list()).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it("installs a catalog file by name and quantization, verified by its sha256, with the token sent to the hf endpoint", async () => {
    server.files.set("/test/tiny-chat/resolve/main/tiny-f16.gguf", { body: tiny });
    const cat = catalog([
      { quant: "Q8_0", file: "tiny.gguf" },
      { quant: "F16", file: "tiny-f16.gguf", sha256: sha256Of(tiny) },
    ]);
    const pulls = manager({ catalog: cat, hfToken: "secret" });
    const started = await pulls.start({ ref: "tiny-chat:f16" });
    const model = await pulls.result(started.id);
    expect(model).toMatchObject({ id: "tiny-chat:f16", sha256: sha256Of(tiny), source: { type: "catalog", ref: "tiny-chat:F16" } });
    expect(server.gets("/test/tiny-chat/resolve/main/tiny-f16.gguf")[0]?.authorization).toBe("Bearer secret");
  });

  it("downloads a file once for two concurrent pulls, which share one pull and one model", async () => {
    server.files.set("/shared/tiny.gguf", { body: tiny, bytesPerSecond: 400_000 });
    const pulls = manager();
    const ref = server.url("/shared/tiny.gguf");
    const [a, b] = await Promise.all([pulls.start({ ref }), pulls.start({ ref })]);
    const c = await pulls.start({ ref, id: "tiny" });
    expect(b.id).toBe(a.id);
    expect(c.id).toBe(a.id);
    await expect(pulls.start({ ref, id: "other" })).rejects.toMatchObject({ code: "pull_in_progress" });
    const [ma, mb] = await Promise.all([pulls.result(a.id), pulls.result(b.id)]);
    expect(mb).toEqual(ma);
    expect(server.gets("/shared/tiny.gguf")).toHaveLength(1);
    expect(server.bytesServed("/shared/tiny.gguf")).toBe(tiny.length);
    expect((await store.list()).map((m) => m.id)).toEqual(["tiny"]);

    // Another pull manager (as in another process) does not write the same partial while this one does.
    server.files.set("/shared/tiny-2.gguf", { body: tiny, bytesPerSecond: 200_000 });
    const running = await pulls.start({ ref: server.url("/shared/tiny-2.gguf") });
    await whenReceived(pulls, running.id, 1);
    const other = manager();
    const refused = await other.wait((await other.start({ ref: server.url("/shared/tiny-2.gguf") })).id);
    expect(refused.error).toMatchObject({ code: "pull_in_progress", message: matching(/already downloading/) });
    expect((await pulls.wait(running.id)).state).toBe("done");
  });

  it("cancels: the download stops, the partial is deleted and no model appears", async () => {
    server.files.set("/slow/demo.gguf", { body: demo, bytesPerSecond: 1_000_000 });
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/slow/demo.gguf") });
    await whenReceived(pulls, started.id, 100_000);
    expect((await leftovers()).length).toBeGreaterThan(0);
    const cancelled = await pulls.cancel(started.id);
    expect(cancelled).toMatchObject({ state: "cancelled", error: { code: "pull_cancelled" } });
    expect(await leftovers()).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(server.bytesServed("/slow/demo.gguf")).toBeLessThan(demo.length);
  });

  it("fails a missing file with download_failed at once, without retrying a 404", async () => {
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/nope/model.gguf") });
    await expect(pulls.result(started.id)).rejects.toMatchObject({ code: "download_failed", message: matching(/404/) });
    expect(server.gets("/nope/model.gguf")).toHaveLength(1);
    expect(await leftovers()).toEqual([]);
  });

  it("rejects a file that is not GGUF without registering it", async () => {
    server.files.set("/page/model.gguf", { body: Buffer.from("<!doctype html><title>Sign in</title>".repeat(100)) });
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/page/model.gguf") });
    await expect(pulls.result(started.id)).rejects.toMatchObject({ code: "invalid_model_file", message: matching(/not a GGUF file/) });
    expect(await store.list()).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it("rejects a GGUF file cut short by the server even when it announced no length", async () => {
    server.files.set("/short/tiny.gguf", { body: tiny.subarray(0, 100_000), chunked: true });
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/short/tiny.gguf") });
    await expect(pulls.result(started.id)).rejects.toMatchObject({ code: "invalid_model_file", message: matching(/truncated|shorter/i) });
    expect(await store.list()).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it("restarts cleanly when the server ignores Range, and when the file changed", async () => {
    server.files.set("/norange/tiny.gguf", { body: tiny, dropAfterBytes: 40_000, ignoreRange: true });
    const pulls = manager();
    const first = await pulls.result((await pulls.start({ ref: server.url("/norange/tiny.gguf") })).id);
    expect(server.gets("/norange/tiny.gguf").map((g) => g.status)).toEqual([200, 200]);
    expect(first.sha256).toBe(sha256Of(tiny));

    // The first request is cut; before the resume the file is replaced, so If-Range no longer matches.
    const other = await readFile(testModelPath("tiny", "f16"));
    server.files.set("/changed/model.gguf", { body: tiny, dropAfterBytes: 40_000 });
    const changing = await pulls.start({ ref: server.url("/changed/model.gguf") });
    await new Promise<void>((resolve) => {
      const stop = pulls.subscribe(changing.id, ({ pull }) => {
        if (pull.retries === 0) return;
        server.files.set("/changed/model.gguf", { body: other });
        stop();
        resolve();
      });
    });
    const changed = await pulls.result(changing.id);
    const gets = server.gets("/changed/model.gguf");
    expect(gets[1]).toMatchObject({ range: "bytes=40000-", status: 200 });
    expect(changed.sha256).toBe(sha256Of(other));
  });

  it("abandons a stalled connection after the stall timeout and resumes", async () => {
    server.files.set("/stall/tiny.gguf", { body: tiny, dropAfterBytes: 32_768, hang: true });
    const pulls = manager({ stallTimeoutMs: 300 });
    const started = await pulls.start({ ref: server.url("/stall/tiny.gguf") });
    const model = await pulls.result(started.id);
    expect(server.gets("/stall/tiny.gguf").map((g) => g.range)).toEqual([undefined, "bytes=32768-"]);
    expect(pulls.get(started.id)).toMatchObject({ retries: 1, retryReason: matching(/no data for 0\.3 s/) });
    expect(model.sha256).toBe(sha256Of(tiny));
  });

  it("retries 503 answers with backoff and then succeeds", async () => {
    server.files.set("/busy/tiny.gguf", { body: tiny, failTimes: 2 });
    const pulls = manager();
    const started = await pulls.start({ ref: server.url("/busy/tiny.gguf") });
    await pulls.result(started.id);
    expect(server.gets("/busy/tiny.gguf").map((g) => g.status)).toEqual([503, 503, 200]);
    expect(pulls.get(started.id).retries).toBe(2);
  });

  it("refuses an id that is installed, before downloading anything", async () => {
    await store.add(testModelPath("tiny"), { id: "tiny" });
    server.files.set("/again/tiny.gguf", { body: tiny });
    await expect(manager().start({ ref: server.url("/again/tiny.gguf") })).rejects.toMatchObject({ code: "model_exists" });
    await expect(manager().start({ ref: "ftp://example.com/x.gguf" })).rejects.toMatchObject({ code: "invalid_request" });
    expect(server.gets("/again/tiny.gguf")).toHaveLength(0);
  });
});
