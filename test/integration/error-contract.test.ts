/**
 * One error contract over real HTTP: 404, 405 (with Allow), 413 (before the body is read, no reset), 414,
 * 415, 408 for a slow body, and Fastify's own errors, each in its dialect's envelope.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny" }, config: { http: { requestTimeout: "2s" } } });
});
afterAll(async () => server.dispose());

interface OpenAiEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function expectOpenAi(body: unknown, code: string): void {
  const { error } = body as OpenAiEnvelope;
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(0);
}

function expectOllama(body: unknown): void {
  expect(Object.keys(body as object)).toEqual(["error"]);
  expect(typeof (body as { error: unknown }).error).toBe("string");
}

describe("the error contract", () => {
  it("answers unknown routes 404 in each dialect", async () => {
    const openai = await fetch(`${server.url}/v1/nothing`);
    expect(openai.status).toBe(404);
    expectOpenAi(await openai.json(), "unknown_route");
    const ollama = await fetch(`${server.url}/api/nothing`);
    expect(ollama.status).toBe(404);
    expectOllama(await ollama.json());
  });

  it("answers a known path with another method 405 with Allow", async () => {
    const openai = await fetch(`${server.url}/v1/chat/completions`);
    expect(openai.status).toBe(405);
    expect(openai.headers.get("allow")).toBe("POST");
    expectOpenAi(await openai.json(), "method_not_allowed");
    const ollama = await fetch(`${server.url}/api/tags`, { method: "POST" });
    expect(ollama.status).toBe(405);
    expect(ollama.headers.get("allow")).toBe("GET, HEAD");
    expectOllama(await ollama.json());
  });

  it("answers a path parameter over 100 characters 414 in the envelope", async () => {
    const response = await fetch(`${server.url}/v1/responses/${"r".repeat(150)}`);
    expect(response.status).toBe(414);
    expectOpenAi(await response.json(), "uri_too_long");
  });

  it("answers an unsupported media type 415 in the envelope", async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/xml" }, body: "<hi/>" });
    expect(response.status).toBe(415);
    expectOpenAi(await response.json(), "unsupported_media_type");
  });

  it("answers a 10 MB body 413 every time, in the envelope, without a connection reset", async () => {
    const big = JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "x".repeat(10 * 1024 * 1024) }] });
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
      expect(response.status).toBe(413);
      expect(response.headers.get("connection")).toBe("close");
      expectOpenAi(await response.json(), "request_too_large");
    }
    const ollama = await fetch(`${server.url}/api/chat`, { method: "POST", body: big });
    expect(ollama.status).toBe(413);
    expectOllama(await ollama.json());
  });

  it("closes a request whose body trickles in slower than http.requestTimeout, with 408 in the envelope", async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
      const drip = setInterval(() => (socket.writable ? socket.write(" ") : clearInterval(drip)), 500);
      socket.on("close", () => clearInterval(drip));
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expectOpenAi(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)), "request_timeout");
  });
});
