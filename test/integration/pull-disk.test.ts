/**
 * A pull onto a disk that is too small: the data dir is a 1 MiB tmpfs mounted by the test (tests run as
 * root; without the right to mount, the test fails and says what it needs).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sourcePolicy } from "../../src/models/pull/source-policy.js";
import { PullManager } from "../../src/models/pull/pull-manager.js";
import { resolvePullSource } from "../../src/models/pull/source.js";
import { ModelStore } from "../../src/models/store.js";
import { startFileServer, type FileServer } from "../helpers/file-server.js";
import { testModelPath } from "../helpers/models.js";

/** `expect.stringMatching`, typed so that it can sit in an object literal. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

const run = promisify(execFile);
let server: FileServer;
let demo: Buffer;
let mountPoint: string;

async function mountTmpfs(dir: string, size: string): Promise<void> {
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  } catch (error) {
    const uid = process.getuid?.();
    throw new Error(
      `this test mounts a ${size} tmpfs at ${dir} as a too-small disk and needs root with CAP_SYS_ADMIN ` +
        `(a privileged container); running as uid ${uid}: ${(error as Error).message.trim()}`,
    );
  }
}

function manager(store: ModelStore): PullManager {
  return new PullManager({
    store,
    dataDir: mountPoint,
    resolve: (ref) => resolvePullSource(ref),
    retry: { retries: 0, baseDelayMs: 10, maxDelayMs: 10 },
    freeSpaceReserve: 0,
    policy: sourcePolicy({ allowHosts: ["127.0.0.1"] }),
  });
}

beforeAll(async () => {
  demo = await readFile(testModelPath("demo"));
  server = await startFileServer({ "/demo.gguf": { body: demo }, "/chunked/demo.gguf": { body: demo, chunked: true } });
});
afterAll(async () => server.close());
beforeEach(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), "chaibox-small-disk-"));
  await mountTmpfs(mountPoint, "1m");
});
afterEach(async () => {
  await run("umount", [mountPoint]).catch(() => undefined);
  await rm(mountPoint, { recursive: true, force: true });
});

describe("a pull onto a disk that is too small", () => {
  it("is refused before downloading, with the numbers, leaving no partial file", async () => {
    const store = await ModelStore.open(mountPoint);
    const pulls = manager(store);
    const started = await pulls.start({ ref: server.url("/demo.gguf") });
    const error = await pulls.result(started.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "insufficient_storage",
      message: matching(/needs 5\.\d MB, (1\.0 MB|\d+ kB) free on /),
      details: { neededBytes: demo.length, path: mountPoint },
    });
    expect((error as Error).message).toContain(mountPoint);
    expect(await readdir(join(mountPoint, "downloads"))).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("stops when the disk fills up during a download of unknown size, deleting the partial", async () => {
    const store = await ModelStore.open(mountPoint);
    const pulls = manager(store);
    const started = await pulls.start({ ref: server.url("/chunked/demo.gguf") });
    await expect(pulls.result(started.id)).rejects.toMatchObject({
      code: "insufficient_storage",
      message: matching(/filled up after .* were downloaded .*the partial file was deleted/),
    });
    expect(await readdir(join(mountPoint, "downloads"))).toEqual([]);
    expect(await store.list()).toEqual([]);
  });
});
