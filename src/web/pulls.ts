/**
 * A download with a live progress bar: started here or found running, followed until it ends. A failed or
 * cancelled download says why and offers Retry on the spot (and Dismiss, where the screen lists old ones).
 */
import { api, ApiError, get, messageOf, post } from "./api.js";
import { h, replace } from "./dom.js";
import { bytes, duration } from "./format.js";
import type { Pull } from "./types.js";

const POLL_MS = 700;
const DISMISSED_KEY = "chaibox.dismissedPulls";

export interface PullView {
  element: HTMLElement;
  /** Resolves with the final state of the first attempt (undefined when it could not start). */
  done: Promise<Pull | undefined>;
}

/** Pull ids the owner dismissed on this device. */
export function dismissedPulls(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

function dismiss(id: string): void {
  const ids = [...dismissedPulls(), id].slice(-100);
  localStorage.setItem(DISMISSED_KEY, JSON.stringify(ids));
}

/** Starts pulling `ref`; the element shows its progress, and Retry starts it again after a failure. */
export function startPull(ref: string, label: string, options: { dismissible?: boolean } = {}): PullView {
  const holder = h("div", { class: "pull-holder" });
  const run = (): Promise<Pull | undefined> => {
    const view = progressView(label, { retry: () => void run(), dismissible: options.dismissible ?? false, holder });
    replace(holder, view.element);
    return post<Pull>("/admin/models/pulls", { ref }).then(
      (pull) => follow(pull, view),
      (error: unknown) => {
        view.fail(messageOf(error));
        return undefined;
      },
    );
  };
  return { element: holder, done: run() };
}

/** Follows a pull that is already running, or shows one that has ended (failed or cancelled: with Retry). */
export function followPull(pull: Pull, label: string, options: { dismissible?: boolean } = {}): PullView {
  const holder = h("div", { class: "pull-holder" });
  const view = progressView(label, {
    retry: () => {
      const again = startPull(pull.ref, label, options);
      replace(holder, again.element);
    },
    dismissible: options.dismissible ?? false,
    holder,
  });
  replace(holder, view.element);
  return { element: holder, done: follow(pull, view) };
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

function progressView(label: string, options: { retry: () => void; dismissible: boolean; holder: HTMLElement }): ProgressView {
  const bar = h("progress", { max: 1, value: 0, "aria-label": `${label} download` });
  const detail = h("p", { class: "hint" }, "starting…");
  const cancelButton = h("button", { class: "secondary small", type: "button" }, "Cancel");
  const retryButton = h("button", { class: "primary small", type: "button", onclick: options.retry }, "Retry");
  const dismissButton = h("button", { class: "secondary small", type: "button" }, "Dismiss");
  const actions = h("div", { class: "row" });
  const element = h("div", { class: "pull", "data-state": "queued" }, h("div", { class: "row spread" }, h("strong", {}, label)), bar, detail, actions);
  let pullId: string | undefined;
  cancelButton.addEventListener("click", () => {
    if (pullId === undefined) return;
    cancelButton.disabled = true;
    // The poll sees the pull end as cancelled; a failure to cancel leaves it running, as shown.
    api("DELETE", `/admin/models/pulls/${encodeURIComponent(pullId)}`).catch(() => (cancelButton.disabled = false));
  });
  dismissButton.addEventListener("click", () => {
    if (pullId !== undefined) dismiss(pullId);
    options.holder.remove();
  });
  const ended = () => replace(actions, retryButton, options.dismissible && pullId !== undefined ? dismissButton : null);
  return {
    element,
    update(pull) {
      pullId = pull.id;
      element.dataset.state = pull.state;
      const fraction = pull.totalBytes ? pull.receivedBytes / pull.totalBytes : 0;
      bar.value = pull.state === "done" ? 1 : fraction;
      const running = pull.state === "queued" || pull.state === "downloading" || pull.state === "verifying";
      if (running) replace(actions, cancelButton);
      else if (pull.state === "failed" || pull.state === "cancelled") ended();
      else replace(actions);
      detail.dataset.kind = pull.state === "failed" ? "error" : "";
      detail.textContent = describe(pull, fraction);
    },
    fail(message) {
      element.dataset.state = "failed";
      detail.dataset.kind = "error";
      detail.textContent = message;
      ended();
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
