/** A download with a live progress bar: started here or found running, followed until it ends. */
import { api, ApiError, get, messageOf, post } from "./api.js";
import { h, replace } from "./dom.js";
import { bytes, duration } from "./format.js";
import type { Pull } from "./types.js";

const POLL_MS = 700;

/** Starts pulling `ref`; the element shows its progress and `done` resolves with the final state. */
export function startPull(ref: string, label: string): { element: HTMLElement; done: Promise<Pull | undefined> } {
  const view = progressView(label);
  const done = post<Pull>("/admin/models/pulls", { ref }).then(
    (pull) => follow(pull, view),
    (error: unknown) => {
      view.fail(messageOf(error));
      return undefined;
    },
  );
  return { element: view.element, done };
}

/** Follows a pull that is already running. */
export function followPull(pull: Pull, label: string): { element: HTMLElement; done: Promise<Pull | undefined> } {
  const view = progressView(label);
  return { element: view.element, done: follow(pull, view) };
}

async function follow(first: Pull, view: ProgressView): Promise<Pull> {
  let pull = first;
  view.update(pull);
  while (pull.state === "queued" || pull.state === "downloading" || pull.state === "verifying") {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      pull = await get<Pull>(`/admin/models/pulls/${encodeURIComponent(pull.id)}`);
    } catch (error) {
      // A blip (Wi-Fi roaming) is not the end of a download: keep asking.
      if (error instanceof ApiError && error.status !== 0) throw error;
    }
    view.update(pull);
  }
  return pull;
}

interface ProgressView {
  element: HTMLElement;
  update(pull: Pull): void;
  fail(message: string): void;
}

function progressView(label: string): ProgressView {
  const bar = h("progress", { max: 1, value: 0, "aria-label": `${label} download` });
  const detail = h("p", { class: "hint" }, "starting…");
  const cancelButton = h("button", { class: "secondary small", type: "button" }, "Cancel");
  const actions = h("div", { class: "row" });
  const element = h("div", { class: "pull", "data-state": "queued" }, h("div", { class: "row spread" }, h("strong", {}, label), actions), bar, detail);
  let pullId: string | undefined;
  cancelButton.addEventListener("click", () => {
    if (pullId === undefined) return;
    cancelButton.disabled = true;
    // The poll sees the pull end as cancelled; a failure to cancel leaves it running, as shown.
    api("DELETE", `/admin/models/pulls/${encodeURIComponent(pullId)}`).catch(() => (cancelButton.disabled = false));
  });
  return {
    element,
    update(pull) {
      pullId = pull.id;
      element.dataset.state = pull.state;
      const fraction = pull.totalBytes ? pull.receivedBytes / pull.totalBytes : 0;
      bar.value = pull.state === "done" ? 1 : fraction;
      const running = pull.state === "queued" || pull.state === "downloading" || pull.state === "verifying";
      replace(actions, running ? cancelButton : null);
      detail.dataset.kind = pull.state === "failed" ? "error" : "";
      detail.textContent = describe(pull, fraction);
    },
    fail(message) {
      element.dataset.state = "failed";
      detail.dataset.kind = "error";
      detail.textContent = message;
    },
  };
}

function describe(pull: Pull, fraction: number): string {
  switch (pull.state) {
    case "queued":
      return "waiting to start…";
    case "downloading": {
      const eta = duration(pull.etaSeconds);
      const retry = pull.retryReason ? ` — retrying: ${pull.retryReason}` : "";
      return `${Math.floor(fraction * 100)} % · ${bytes(pull.receivedBytes)} of ${bytes(pull.totalBytes)} · ${bytes(pull.bytesPerSecond)}/s${eta ? ` · ${eta} left` : ""}${retry}`;
    }
    case "verifying":
      return "checking the file…";
    case "done":
      return `installed as ${pull.modelId}`;
    case "cancelled":
      return "cancelled";
    case "failed":
      return pull.error?.message ?? "the download failed";
  }
}
