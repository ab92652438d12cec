/**
 * The dashboard: the box, its loaded models and their speed, memory, VRAM and disk, waiting pairing requests,
 * and the inference engine (with its progress while the box compiles it for its CPU at first boot).
 */
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { bytes, rate } from "../format.js";
import type { List, Pairing, Status } from "../types.js";

function meter(label: string, used: number, total: number): HTMLElement {
  return h(
    "div",
    { class: "meter" },
    h("div", { class: "row spread" }, h("span", {}, label), h("span", { class: "hint" }, `${bytes(used)} of ${bytes(total)} in use`)),
    h("progress", { max: total, value: used, "aria-label": `${label} in use` }),
  );
}

/** How often the dashboard refreshes itself while the engine compiles. */
const ENGINE_POLL_MS = 5000;

function engineCard(engine: Status["engine"]): HTMLElement {
  const { build } = engine;
  const inUse = engine.in_use === "native" ? "Built for this CPU." : "The prebuilt engine (generic CPU code).";
  if (build?.state === "building") {
    return h(
      "section",
      { class: "card", id: "engine" },
      h("h2", {}, "Engine"),
      h("p", {}, `Compiling the inference engine for this CPU: ${build.percent}%. Chats work meanwhile; models loaded afterwards run faster.`),
      h("progress", { max: 100, value: build.percent, "aria-label": "Engine compiled" }),
    );
  }
  if (build?.state === "failed") {
    return h(
      "section",
      { class: "card", id: "engine" },
      h("h2", {}, "Engine"),
      h("p", {}, `${inUse} Compiling it for this CPU failed: ${build.error ?? "unknown error"}. Everything works with the prebuilt engine.`),
    );
  }
  return h("section", { class: "card", id: "engine" }, h("h2", {}, "Engine"), h("p", {}, inUse));
}

export async function dashboardScreen(root: HTMLElement): Promise<void> {
  const hash = location.hash;
  const [status, pairings] = await Promise.all([get<Status>("/admin/status"), get<List<Pairing>>("/admin/pairings")]);
  const loaded = status.models.filter((m) => m.loaded !== null);
  replace(
    root,
    h("h1", {}, status.box.name),
    pairings.data.length > 0
      ? h("a", { class: "banner", href: "#/apps" }, `${pairings.data.length} app(s) ask to pair — review`)
      : null,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Models"),
      h("p", {}, `${status.models.length} installed, ${loaded.length} loaded.`),
      status.models.length === 0 ? h("a", { class: "button secondary", href: "#/models" }, "Download a model") : null,
      h(
        "ul",
        { class: "list" },
        ...status.models.map((model) =>
          h(
            "li",
            {},
            h("strong", {}, model.id),
            h(
              "span",
              { class: "hint" },
              model.loaded ? `loaded · ${model.loaded.active} answering, ${model.loaded.queued} waiting` : "not loaded",
              ` · ${rate(model.tokens_per_second)}`,
            ),
          ),
        ),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Memory"),
      meter("RAM", status.memory.totalBytes - status.memory.availableBytes, status.memory.totalBytes),
      ...status.gpus.map((gpu) =>
        gpu.vram_free_bytes === null
          ? h("p", {}, `${gpu.name}: ${bytes(gpu.vram_total_bytes)} of VRAM`)
          : meter(`${gpu.name} VRAM`, gpu.vram_total_bytes - gpu.vram_free_bytes, gpu.vram_total_bytes),
      ),
      meter("Disk", status.disk.totalBytes - status.disk.freeBytes, status.disk.totalBytes),
    ),
    engineCard(status.engine),
  );
  if (status.engine.build?.state === "building") {
    setTimeout(() => {
      if (root.isConnected && location.hash === hash) void dashboardScreen(root).catch(() => undefined);
    }, ENGINE_POLL_MS);
  }
}
