/**
 * The arm64 disk image in qemu's `virt` machine (TCG, AAVMF): a copy of the built image, enlarged, boots to
 * READY; the setup code comes from the serial console; setup, a model pull and an app token go through the
 * admin API; and the app chats with a tiny model made by `chaibox make-test-model` on this host, pulled from
 * a file server here that the guest reaches through qemu's guestfwd.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFileServer, type FileServer } from "../helpers/file-server.js";
import { diskFromImage } from "./disk.js";
import { Vm } from "./vm.js";

const run = promisify(execFile);
const image = process.env.IMAGE ?? "";
const cli = new URL("../../dist/src/cli/main.js", import.meta.url).pathname;
const HOST_PORT = 18081;
const base = `http://127.0.0.1:${HOST_PORT}`;
// Emulated arm64 on x86 is several times slower than the amd64 guest: the limit is looser, the figure is reported.
const READY_LIMIT_MS = 300_000;

let dir = "";
let vm: Vm | undefined;
let files: FileServer;

beforeAll(async () => {
  expect(image, "IMAGE (the .img.zst under test)").not.toBe("");
  dir = await mkdtemp(join(tmpdir(), "chaibox-image-arm64-"));
  const model = join(dir, "tiny.gguf");
  await run(process.execPath, [cli, "make-test-model", "--preset", "tiny", "--out", model]);
  files = await startFileServer({ "/tiny.gguf": { body: await readFile(model) } });
});

afterAll(async () => {
  await vm?.kill();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the arm64 image in qemu (virt, TCG, AAVMF)", () => {
  it("boots to READY and chats on a generated tiny model", async () => {
    const disk = await diskFromImage(image, dir, 2);
    vm = new Vm({
      arch: "arm64",
      disk,
      dir,
      net: ["-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${HOST_PORT}-:80,guestfwd=tcp:10.0.2.100:80-cmd:socat STDIO TCP:127.0.0.1:${new URL(files.origin).port}`,
        "-device", "virtio-net-pci,netdev=n0"],
    });
    await vm.start();
    let readyMs = 0;
    for (;;) {
      if (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) {
        readyMs = Date.now() - vm.startedAt;
        break;
      }
      if (Date.now() - vm.startedAt > READY_LIMIT_MS) throw new Error(`not serving after ${READY_LIMIT_MS} ms; serial:\n${(await vm.serial()).slice(-3000)}`);
      await sleep(500);
    }
    console.log(`arm64: chaibox answered ${readyMs} ms after power-on`);

    const code = (await vm.waitForSerial(/Setup code: ([A-Z0-9]+(?:-[A-Z0-9]+)*)/, 120_000))[1] ?? "";
    const setup = await fetch(`${base}/admin/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ setup_code: code, password: "correct horse battery" }) });
    expect(setup.status).toBe(200);
    const session = {
      cookie: (setup.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      "x-csrf-token": ((await setup.json()) as { csrf_token: string }).csrf_token,
      "content-type": "application/json",
    };
    const pull = await fetch(`${base}/admin/models/pulls`, { method: "POST", headers: session, body: JSON.stringify({ ref: "http://10.0.2.100/tiny.gguf", id: "tiny" }) });
    expect(pull.status).toBe(202);
    const pullId = ((await pull.json()) as { id: string }).id;
    let state = "";
    for (let i = 0; i < 240 && state !== "done"; i++) {
      state = ((await (await fetch(`${base}/admin/models/pulls/${pullId}`, { headers: session })).json()) as { state: string }).state;
      if (state === "failed") throw new Error("the pull failed");
      await sleep(500);
    }
    expect(state).toBe("done");
    const app = await fetch(`${base}/admin/apps`, { method: "POST", headers: session, body: JSON.stringify({ name: "arm64 test" }) });
    expect(app.status).toBe(201);
    const token = ((await app.json()) as { token: string }).token;

    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, timeout: 300_000 });
    const started = Date.now();
    const reply = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hello" }], max_tokens: 4 });
    console.log(`arm64: first chat answered in ${Date.now() - started} ms`);
    expect(reply.choices[0]?.message.role).toBe("assistant");
    await vm.powerDown();
  });
});
