/**
 * The check `chaibox engine build` runs on a new build before runners may load it: a real child process loads
 * node-llama-cpp's binding with the build's cmake options and generates tokens on a generated model. A build
 * that is missing, does not load or crashes is refused in words; the compilation itself (minutes) is not run
 * here, so the passing case runs against the native engine where this machine has one built.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeCmakeOptions } from "../../src/engine/native/build.js";
import { nativeEngine } from "../../src/engine/native/engine-files.js";
import { checkNativeEngine } from "../../src/engine/native/launcher/engine-check-client.js";

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-engine-check-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the check of a new native engine", () => {
  it("refuses a build that node-llama-cpp does not have, never passing the prebuilt binary off as it", async () => {
    const options = { ...nativeCmakeOptions(true), CHAIBOX_NO_SUCH_BUILD: "1" };
    await expect(checkNativeEngine(options, dir)).rejects.toThrow(/^the new engine failed its check: /);
    // Its test model is gone either way.
    expect(await readdir(dir)).toEqual([]);
  }, 60_000);

  it("passes the native engine this machine's runners load, or refuses the native options where none is built", async () => {
    const native = nativeEngine();
    if (native !== undefined) expect(await checkNativeEngine(native.cmakeOptions, dir)).toMatchObject({ tokens: 8 });
    else await expect(checkNativeEngine(nativeCmakeOptions(true), dir)).rejects.toThrow(/^the new engine failed its check: /);
    expect(await readdir(dir)).toEqual([]);
  }, 60_000);
});
