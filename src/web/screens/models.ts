/** Models: the installed ones (delete), downloads in progress (cancel), and the catalog models that fit. */
import { api, get, messageOf } from "../api.js";
import { h, notice, replace } from "../dom.js";
import { bytes } from "../format.js";
import { dismissedPulls, followPull, startPull } from "../pulls.js";
import type { List, Pull, Recommendations } from "../types.js";
import { catalogRows } from "./recommendations.js";

interface InstalledModel {
  id: string;
  sizeBytes: number;
  loaded: object | null;
}

export async function modelsScreen(root: HTMLElement): Promise<void> {
  const [installed, pulls, recommendations] = await Promise.all([
    get<List<InstalledModel>>("/admin/models"),
    get<List<Pull>>("/admin/models/pulls"),
    get<Recommendations>("/admin/recommendations"),
  ]);
  const message = notice();
  const downloads = h("div", { class: "downloads" });
  const rerender = () => void modelsScreen(root).catch((error: unknown) => message.show(messageOf(error)));
  // A download that ends while shown refreshes the screen (the installed list); one that had already ended
  // is only shown.
  const track = (view: { element: HTMLElement; done: Promise<unknown> }, running = true) => {
    downloads.appendChild(view.element);
    if (running) void view.done.then(rerender);
  };
  // Running downloads, and the failed and cancelled ones not dismissed yet (with Retry and Dismiss). A ref
  // that was pulled again since shows only its newest pull (the list is newest first).
  const dismissed = dismissedPulls();
  const shown = new Set<string>();
  for (const pull of pulls.data) {
    if (shown.has(pull.ref)) continue;
    shown.add(pull.ref);
    if (pull.state === "done" || dismissed.has(pull.id)) continue;
    track(followPull(pull, pull.modelId, { dismissible: true }), pull.state !== "failed" && pull.state !== "cancelled");
  }

  const remove = async (id: string, button: HTMLButtonElement) => {
    if (!confirm(`Delete ${id}? Apps using it stop working until you download it again.`)) return;
    button.disabled = true;
    try {
      await api("DELETE", `/admin/models/${encodeURIComponent(id)}`);
      rerender();
    } catch (error) {
      button.disabled = false;
      message.show(messageOf(error));
    }
  };

  replace(
    root,
    h("h1", {}, "Models"),
    message,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Installed"),
      installed.data.length === 0 ? h("p", { class: "hint" }, "No model yet: download one below.") : null,
      h(
        "ul",
        { class: "list" },
        ...installed.data.map((model) => {
          const button = h("button", { class: "danger small", type: "button" }, "Delete");
          button.addEventListener("click", () => void remove(model.id, button));
          return h("li", { class: "row spread" }, h("span", {}, h("strong", {}, model.id), h("span", { class: "hint" }, ` ${bytes(model.sizeBytes)}${model.loaded ? " · loaded" : ""}`)), button);
        }),
      ),
    ),
    h("section", { class: "card" }, h("h2", {}, "Downloads"), downloads, h("p", { class: "hint empty-only" }, "No download running.")),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Fits this box"),
      catalogRows(recommendations, (choice) => track(startPull(choice.ref, choice.name, { dismissible: true }))),
    ),
  );
}
