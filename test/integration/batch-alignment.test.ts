// Parallel streams share the context's batches: real llama.cpp through the runner's model host (in this
// process), the generated tiny model, four sequences. node-llama-cpp alone decodes four streams as batches of
// three (the stream sampled last misses each batch), and a request that must erase part of its sequence (any
// request whose sequence holds another conversation) waits until every other stream has finished. And a
// batch whose sequences are not in increasing id order is decoded by llama.cpp in several passes.
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import type { Token } from "node-llama-cpp";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignmentStats } from "../../src/engine/native/runner-process/batch-alignment.js";
import { loadModelHost, type ChatHost } from "../../src/engine/native/runner-process/model-host.js";
import { testModelPath } from "../helpers/models.js";

let host: ChatHost;

beforeAll(async () => {
  const loaded = await loadModelHost(
    { modelPath: testModelPath("tiny"), contextSize: 2048, parallel: 4, threads: 1, gpuLayers: 0 },
    pino({ level: "silent" }),
  );
  if (loaded.kind !== "chat") throw new Error("the tiny model loads as a chat model");
  host = loaded;
});

afterAll(async () => {
  await host?.dispose();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Stream {
  tokens: Token[];
  /** performance.now() at the first generated token and at the end. */
  firstAt: number;
  endAt: number;
}

/**
 * Leases a sequence, generates `count` greedy tokens after `prompt` and hands the sequence back keeping its
 * tokens (as the runner does after a finished request), so a later different prompt must erase them.
 */
async function stream(prompt: string, count: number, prepareMs = 0, beforeEvaluate?: () => void): Promise<Stream> {
  const lease = host.lease(new AbortController().signal);
  // The runner leases when a request arrives, then renders its prompt before it acquires a sequence.
  if (prepareMs > 0) await sleep(prepareMs);
  const prompted = host.model.tokenize(prompt);
  const sequence = await lease.acquire(prompted);
  const result: Stream = { tokens: [], firstAt: Number.NaN, endAt: Number.NaN };
  try {
    // As LlamaChat does: keep the prefix the sequence shares with the prompt, erase the rest, decode the rest.
    await sequence.adaptStateToTokens(prompted);
    beforeEvaluate?.();
    for await (const token of sequence.evaluate(prompted.slice(sequence.nextTokenIndex), { temperature: 0 })) {
      if (result.tokens.length === 0) result.firstAt = performance.now();
      result.tokens.push(token);
      if (result.tokens.length === count) break;
    }
  } finally {
    await lease.release(true);
  }
  result.endAt = performance.now();
  return result;
}

/** The native context's batches as node-llama-cpp forms them: the sequence id of each item, in order. */
function recordBatches(): { sequenceIds: number[][]; stop(): void } {
  interface NativeContext {
    initBatch(size: number): void;
    addToBatch(sequenceId: number, ...rest: unknown[]): unknown;
  }
  const internals = host.context as unknown as { _ctx: NativeContext };
  const native = internals._ctx;
  const sequenceIds: number[][] = [];
  internals._ctx = new Proxy(native, {
    get(target, property) {
      if (property === "initBatch") return (size: number) => (sequenceIds.push([]), target.initBatch(size));
      if (property === "addToBatch") return (id: number, ...rest: unknown[]) => (sequenceIds.at(-1)?.push(id), target.addToBatch(id, ...rest));
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { sequenceIds, stop: () => (internals._ctx = native) };
}


describe("parallel streams", () => {
  it("decode in batches that hold all of them", async () => {
    const before = alignmentStats(host.context);
    const tokens = 48;
    const streams = await Promise.all(["one", "two", "three", "four"].map((word) => stream(`Count to ${word}.`, tokens)));
    for (const { tokens: output } of streams) expect(output).toHaveLength(tokens);
    const after = alignmentStats(host.context);
    const batches = after.batches - before.batches;
    const decodes = after.decodes - before.decodes;
    // Every token of every stream after the prompts went through an aligned batch (the last one of each
    // stream is sampled and never decoded).
    expect(batches).toBeGreaterThanOrEqual(tokens - 1);
    // Streams per batch: 4 in all but the batches where streams start or end.
    expect(decodes / batches).toBeGreaterThanOrEqual(3.5);
  });

  it("add each batch's sequences in the order of their ids (llama.cpp splits any other order into several passes)", async () => {
    const batches = recordBatches();
    try {
      const streams = await Promise.all(["nine", "ten", "eleven", "twelve"].map((word) => stream(`Count to ${word}.`, 48)));
      for (const { tokens: output } of streams) expect(output).toHaveLength(48);
    } finally {
      batches.stop();
    }
    const shared = batches.sequenceIds.filter((ids) => ids.length > 1);
    expect(shared.length).toBeGreaterThanOrEqual(47);
    const unordered = shared.filter((ids) => ids.some((id, i) => i > 0 && id <= ids[i - 1]!));
    expect(unordered).toEqual([]);
  });

  it("let a new request erase its sequence and start while others generate", async () => {
    // Every sequence holds a conversation now (the test above), so each request below erases part of its own.
    const before = alignmentStats(host.context);
    const long = [stream("Tell a long story about the sea.", 1500), stream("Tell a long story about the hills.", 1500)];
    await sleep(30);
    const late = await stream("What time is it?", 8);
    const [first, second] = await Promise.all(long);
    expect(late.tokens).toHaveLength(8);
    // The late request was answered while both long streams were still generating.
    expect(late.endAt).toBeLessThan(Math.min(first!.endAt, second!.endAt));
    expect(alignmentStats(host.context).yields).toBeGreaterThan(before.yields);
  });

  it("start the prompts of requests that arrive together in one batch, and wait for none for long", async () => {
    const batches = recordBatches();
    const before = alignmentStats(host.context);
    let streams: Stream[];
    try {
      // Four requests reach the runner together and take a few milliseconds each to prepare their prompts.
      streams = await Promise.all(["red", "green", "blue", "white"].map((word, i) => stream(`Name a ${word} thing.`, 8, 3 * i)));
    } finally {
      batches.stop();
    }
    for (const { tokens: output } of streams) expect(output).toHaveLength(8);
    // The first prompt waited for the other three: one batch evaluated all four prompts.
    expect(new Set(batches.sequenceIds[0]).size).toBe(4);
    expect(alignmentStats(host.context).gathered).toBe(before.gathered + 1);

    // A request that never queues a prompt (it failed while preparing, say) holds up another for a moment only.
    const stuck = host.lease(new AbortController().signal);
    try {
      expect((await stream("Name a black thing.", 8)).tokens).toHaveLength(8);
    } finally {
      await stuck.release(false);
    }
    expect(alignmentStats(host.context).gathered).toBe(before.gathered + 2);
  });

  it("start with a request that reached the runner while a prompt was being prepared", async () => {
    // Requests reach the runner on its socket. The runner prepares one in a stretch that reads nothing from
    // the socket, so a request that arrived meanwhile is read only after that prompt has been queued.
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    const [socket] = (await once(server, "connection")) as [Socket];
    let late: Promise<Stream> | undefined;
    socket.once("data", () => {
      late = stream("Name a yellow thing.", 8);
    });
    const batches = recordBatches();
    let streams: Stream[];
    try {
      // The request arrives as the first prompt is about to be queued.
      const first = await stream("Name a purple thing.", 8, 0, () => client.write("request"));
      expect(late, "the second request was read").toBeDefined();
      streams = [first, await late!];
    } finally {
      batches.stop();
      client.destroy();
      server.close();
    }
    for (const { tokens: output } of streams) expect(output).toHaveLength(8);
    // The first prompt waited for the late one: one batch evaluated both.
    expect(new Set(batches.sequenceIds[0]).size).toBe(2);
  });

  it("never hold back a stream that runs alone", async () => {
    const before = alignmentStats(host.context);
    expect((await stream("Count to five.", 48)).tokens).toHaveLength(48);
    expect(alignmentStats(host.context)).toEqual(before);
  });
});
