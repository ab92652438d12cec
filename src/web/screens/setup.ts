/**
 * The first-run wizard: the setup code, the box name and admin password, the hardware in plain words, the
 * recommended models, their download with live progress, and how apps connect.
 */
import { get, messageOf, post, setCsrfToken } from "../api.js";
import { busy, field, h, notice, replace } from "../dom.js";
import { bytes } from "../format.js";
import { startPull } from "../pulls.js";
import type { Recommendations, SignedIn } from "../types.js";
import { connectPanel } from "./connect.js";
import { recommendationList } from "./recommendations.js";

const STEPS = ["Setup code", "Name and password", "Your hardware", "Choose models", "Download", "Connect apps"];

export function setupWizard(root: HTMLElement, finished: () => void): void {
  let code = "";
  let recommendations: Recommendations | undefined;
  let chosen: string[] = [];

  const show = (step: number, ...content: (Node | null)[]) => {
    replace(
      root,
      h("p", { class: "step" }, `Step ${step + 1} of ${STEPS.length}`),
      h("h1", {}, STEPS[step] ?? ""),
      ...content,
    );
    root.dataset.step = String(step + 1);
    root.querySelector<HTMLInputElement>("input")?.focus();
  };

  const askCode = () => {
    const input = h("input", { type: "text", autocomplete: "one-time-code", autocapitalize: "characters", spellcheck: "false", required: true });
    const message = notice();
    const next = h("button", { class: "primary", type: "submit" }, "Continue");
    const form = h(
      "form",
      {},
      h("p", {}, "Welcome to your AI box. Enter the setup code that the box shows on its screen or in its log ('chaibox setup-code' prints it)."),
      field("Setup code", input),
      message,
      next,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(next, async () => {
        try {
          await post("/admin/setup/verify", { setup_code: input.value.trim() });
          code = input.value.trim();
          void askAccount();
        } catch (error) {
          message.show(messageOf(error));
        }
      })();
    });
    show(0, form);
  };

  const askAccount = async () => {
    const discovery = await get<{ box?: { name?: string } }>("/.well-known/chai").catch(() => undefined);
    const name = h("input", { type: "text", value: discovery?.box?.name ?? "", maxlength: 63, required: true, autocomplete: "off" });
    const password = h("input", { type: "password", autocomplete: "new-password", minlength: 8, required: true });
    const confirm = h("input", { type: "password", autocomplete: "new-password", required: true });
    const message = notice();
    const next = h("button", { class: "primary", type: "submit" }, "Save and continue");
    const form = h(
      "form",
      {},
      field("Box name", name, "What apps show when they find the box."),
      field("Admin password", password, "At least 8 characters. You need it to manage the box."),
      field("Repeat the password", confirm),
      message,
      next,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (password.value !== confirm.value) return message.show("The two passwords differ.");
      busy(next, async () => {
        try {
          const signedIn = await post<SignedIn>("/admin/setup", { setup_code: code, password: password.value, box_name: name.value.trim() });
          setCsrfToken(signedIn.csrf_token);
          void showHardware();
        } catch (error) {
          message.show(messageOf(error));
        }
      })();
    });
    show(1, form);
  };

  const showHardware = async () => {
    show(2, h("p", {}, "Looking at the hardware…"));
    try {
      recommendations = await get<Recommendations>("/admin/recommendations");
    } catch (error) {
      return show(2, h("p", { class: "notice", "data-kind": "error" }, messageOf(error)), h("button", { class: "primary", onclick: () => void showHardware() }, "Try again"));
    }
    const next = h("button", { class: "primary", type: "button", onclick: chooseModels }, "See the models that fit");
    show(
      2,
      h("p", { class: "summary" }, recommendations.summary),
      h("details", { class: "hardware-details" }, h("summary", {}, "Details"), h("ul", { class: "facts" }, ...recommendations.hardware.map((line) => h("li", {}, line)))),
      next,
    );
  };

  const chooseModels = () => {
    if (!recommendations) return;
    const list = recommendationList(recommendations, { preselectBest: true });
    const next = h("button", { class: "primary", type: "button" }, "Download");
    const skip = h("button", { class: "secondary", type: "button", onclick: () => void connect() }, "Skip for now");
    next.addEventListener("click", () => {
      chosen = list.selected();
      if (chosen.length === 0) return void connect();
      download();
    });
    const total = () => list.selectedChoices().reduce((sum, c) => sum + c.size_bytes, 0);
    const size = h("p", { class: "hint" });
    const refresh = () => (size.textContent = `Selected: ${bytes(total())}`);
    list.element.addEventListener("change", refresh);
    refresh();
    show(3, h("p", {}, "These models fit this box, best first. The expected speed is an estimate until the box measures it."), list.element, size, h("div", { class: "row" }, next, skip));
  };

  const download = () => {
    const next = h("button", { class: "primary", type: "button", disabled: true, onclick: () => void connect() }, "Continue");
    const pulls = chosen.map((ref) => startPull(ref, recommendations?.choices.find((c) => c.ref === ref)?.name ?? ref));
    const summary = h("p", { class: "hint" }, "Downloads go on if you close this page.");
    show(4, ...pulls.map((p) => p.element), summary, next);
    void Promise.all(pulls.map((p) => p.done)).then((results) => {
      next.disabled = false;
      const failed = results.filter((r) => r?.state !== "done").length;
      summary.textContent = failed === 0 ? "All downloads are done." : `${failed} download(s) did not finish: Retry, or continue and retry from Models.`;
    });
  };

  const connect = async () => {
    show(5, h("p", {}, "Loading…"));
    const panel = await connectPanel();
    show(5, h("p", {}, "Your box is ready. This is how apps connect:"), panel, h("button", { class: "primary", type: "button", onclick: finished }, "Say hello to your box"));
  };

  askCode();
}
