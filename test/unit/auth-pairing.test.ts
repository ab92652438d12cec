/** The pairing state machine over a real (in-memory) SQLite database, with a clock the test moves. */
import { describe, expect, it } from "vitest";
import { openAuth } from "../../src/auth/service.js";
import { openStateDatabase } from "../../src/state/db.js";

function setup(options: { maxPending?: number } = {}) {
  let now = 1_700_000_000_000;
  const auth = openAuth(openStateDatabase(":memory:"), { pairing: { expiresInSeconds: 60, intervalSeconds: 5, now: () => now, ...options } });
  return { auth, advance: (ms: number) => (now += ms) };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return "ok";
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe("pairings", () => {
  it("paces polling: slow_down adds 5 s to the interval each time", () => {
    const { auth, advance } = setup();
    const { deviceCode } = auth.pairings.request({ name: "app" });
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("authorization_pending");
    advance(2000);
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("slow_down");
    advance(5000);
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("slow_down"); // the interval was 10 s; 15 s now
    advance(15_000);
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("authorization_pending");
  });

  it("expires: no approval and no token after expires_in", () => {
    const { auth, advance } = setup();
    const { id, deviceCode } = auth.pairings.request({ name: "late app" });
    advance(61_000);
    expect(auth.pairings.pending()).toEqual([]);
    expect(codeOf(() => auth.pairings.answer(id, true))).toBe("pairing_not_found");
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("expired_token");
  });

  it("refuses more pending requests than the owner can sensibly review", () => {
    const { auth } = setup({ maxPending: 2 });
    auth.pairings.request({ name: "a" });
    auth.pairings.request({ name: "b" });
    expect(codeOf(() => auth.pairings.request({ name: "c" }))).toBe("rate_limited");
  });

  it("issues an inference token once, stored only as a hash", () => {
    const { auth, advance } = setup();
    const { id, deviceCode } = auth.pairings.request({ name: "good app" });
    auth.pairings.answer(id, true);
    const issued = auth.pairings.poll(deviceCode);
    expect(auth.tokens.verify(issued.token)).toMatchObject({ name: "good app", scope: "inference", source: "pairing" });
    advance(5000);
    expect(codeOf(() => auth.pairings.poll(deviceCode))).toBe("invalid_grant");
  });
});
