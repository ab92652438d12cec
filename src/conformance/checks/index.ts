/** Every check, in the order of the specification's sections (§1-2 last: it reviews the others' answers). */
import type { Check } from "../types.js";
import { basicChecks } from "./basics.js";
import { corsChecks } from "./cors.js";
import { chatStreamChecks } from "./chat-stream.js";
import { chatChecks } from "./chat.js";
import { discoveryChecks } from "./discovery.js";
import { embeddingChecks } from "./embeddings.js";
import { openApiCheck } from "./openapi.js";
import { responsesChecks } from "./responses.js";
import { securityChecks } from "./security.js";
import { selectChecks } from "./select.js";

/** The section number of an id: `§3-2` → 3. */
export function sectionOf(id: string): number {
  return Number(/^§(\d+)-/.exec(id)?.[1] ?? 0);
}

function order(a: Check, b: Check): number {
  const [sa, na] = a.id.slice(1).split("-").map(Number);
  const [sb, nb] = b.id.slice(1).split("-").map(Number);
  return (sa ?? 0) - (sb ?? 0) || (na ?? 0) - (nb ?? 0);
}

export const allChecks: readonly Check[] = [
  ...[...basicChecks, ...corsChecks, ...chatChecks, ...chatStreamChecks, ...discoveryChecks, ...embeddingChecks, ...responsesChecks, ...selectChecks, ...securityChecks].sort(order),
  openApiCheck,
];
