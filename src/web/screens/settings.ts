/** Settings: the box name, how models are served, the providers, the password, signing out. */
import { api, get, messageOf, post, setCsrfToken } from "../api.js";
import { busy, field, h, notice, replace } from "../dom.js";
import type { Settings } from "../types.js";
import { providersSection } from "./providers-section.js";

/** A form that sends its values and says whether it worked. */
function settingsForm(title: string, fields: HTMLElement[], submitLabel: string, send: () => Promise<string>): HTMLElement {
  const message = notice();
  const submit = h("button", { class: "primary", type: "submit" }, submitLabel);
  const form = h("form", {}, h("h2", {}, title), ...fields, message, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        message.show(await send(), "ok");
      } catch (error) {
        message.show(messageOf(error));
      }
    })();
  });
  return h("section", { class: "card" }, form);
}

export async function settingsScreen(root: HTMLElement, signedOut: () => void): Promise<void> {
  const [settings, providers] = await Promise.all([get<Settings>("/admin/settings"), providersSection()]);
  const name = h("input", { type: "text", value: settings.box_name, maxlength: 63, required: true });
  const keepAlive = h("input", { type: "text", value: settings.keep_alive, required: true, autocomplete: "off" });
  const parallel = h("input", { type: "text", value: String(settings.parallel), inputmode: "numeric", required: true, autocomplete: "off" });
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", minlength: 8, required: true });
  const signOut = h("button", { class: "secondary", type: "button" }, "Sign out");
  signOut.addEventListener(
    "click",
    busy(signOut, async () => {
      await post("/admin/logout").catch(() => undefined);
      setCsrfToken(null);
      signedOut();
    }),
  );
  replace(
    root,
    h("h1", {}, "Settings"),
    settingsForm("Box", [field("Box name", name, "Apps show this name; it is announced on the network at once.")], "Save", async () => {
      await api("PATCH", "/admin/settings", { box_name: name.value.trim() });
      return "Saved.";
    }),
    settingsForm(
      "Serving",
      [
        field("Keep models loaded for", keepAlive, "Idle time before a model is unloaded: 30s, 5m, 1h, or forever."),
        field("Requests at once per model", parallel, "auto, or a number: each has its own context memory. Applies when a model loads next."),
      ],
      "Save",
      async () => {
        const value = parallel.value.trim();
        await api("PATCH", "/admin/settings", { keep_alive: keepAlive.value.trim(), parallel: value === "auto" ? "auto" : Number(value) });
        return "Saved.";
      },
    ),
    providers,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Authentication"),
      h("p", {}, settings.auth_required ? "Apps need a token (pairing or Apps → New token)." : "Authentication is OFF: anyone on the network can use the models (serve --no-auth)."),
    ),
    settingsForm("Password", [field("Current password", current), field("New password", next, "At least 8 characters. Other signed-in browsers are signed out.")], "Change password", async () => {
      await post("/admin/password", { current_password: current.value, new_password: next.value });
      current.value = next.value = "";
      return "Password changed.";
    }),
    h("section", { class: "card" }, signOut),
  );
}
