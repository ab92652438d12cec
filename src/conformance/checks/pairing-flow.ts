/** The one pairing request a run makes: request, one poll, withdraw, one poll more. Shared by §7 and §12. */
import { once, type ConformanceContext, type PairingSeen } from "../context.js";
import type { Probe } from "../probe.js";
import { NotApplicable } from "../types.js";

/** The pairing endpoint from the discovery document; NotApplicable without one. */
export function pairingEndpoint(ctx: ConformanceContext): string {
  const endpoint = ctx.discovery?.auth.pairing_endpoint;
  if (endpoint === undefined) throw new NotApplicable("the server has no discovery document naming a pairing endpoint");
  return endpoint;
}

export function pairingSeen(ctx: ConformanceContext, probe: Probe): Promise<PairingSeen> {
  return once(ctx, "pairing", async () => {
    const endpoint = pairingEndpoint(ctx);
    const request = await probe.send("POST", endpoint, { token: false, body: { app_name: "Chai conformance suite", app_id: "dev.chai.conformance" } });
    const seen: PairingSeen = { request, poll: undefined, cancel: undefined, afterCancel: undefined };
    const deviceCode = (request.json as { device_code?: unknown } | undefined)?.device_code;
    if (request.status !== 200 || typeof deviceCode !== "string") return seen;
    ctx.createdPairings.add(deviceCode);
    seen.poll = await probe.send("POST", `${endpoint}/token`, { token: false, body: { device_code: deviceCode } });
    seen.cancel = await probe.send("POST", `${endpoint}/cancel`, { token: false, body: { device_code: deviceCode } });
    if (seen.cancel.status === 200) ctx.createdPairings.delete(deviceCode);
    seen.afterCancel = await probe.send("POST", `${endpoint}/token`, { token: false, body: { device_code: deviceCode } });
    return seen;
  });
}
