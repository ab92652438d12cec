/**
 * Apps: pairing requests to approve or deny, the paired apps with their use, this month's spending and their
 * monthly budgets, revoking, and new tokens.
 */
import { api, get, messageOf, post } from "../api.js";
import { busy, field, h, notice, replace } from "../dom.js";
import { ago } from "../format.js";
import type { AppToken, List, Pairing } from "../types.js";
import { budgetForm, spendingLine } from "./app-budget.js";

export async function appsScreen(root: HTMLElement): Promise<void> {
  const [apps, pairings] = await Promise.all([get<List<AppToken>>("/admin/apps"), get<List<Pairing>>("/admin/pairings")]);
  const message = notice();
  const rerender = () => void appsScreen(root).catch((error: unknown) => message.show(messageOf(error)));
  const act = (button: HTMLButtonElement, action: () => Promise<unknown>) =>
    busy(button, async () => {
      try {
        await action();
        rerender();
      } catch (error) {
        message.show(messageOf(error));
      }
    });

  const pairingList = (data: Pairing[]) => {
    const requests = data.map((pairing) => {
      const approve = h("button", { class: "primary small", type: "button" }, "Approve");
      const deny = h("button", { class: "secondary small", type: "button" }, "Deny");
      approve.addEventListener("click", act(approve, () => post(`/admin/pairings/${encodeURIComponent(pairing.id)}/approve`)));
      deny.addEventListener("click", act(deny, () => post(`/admin/pairings/${encodeURIComponent(pairing.id)}/deny`)));
      return h(
        "li",
        { class: "pairing" },
        h("strong", {}, pairing.app_name),
        h("span", {}, "Code shown by the app: ", h("code", { class: "user-code" }, pairing.user_code)),
        h("span", { class: "hint" }, `from ${pairing.client_address ?? "unknown address"} · asked ${ago(pairing.created_at)}`),
        h("div", { class: "row" }, approve, deny),
      );
    });
    return requests.length === 0 ? h("p", { class: "hint" }, "No app is asking right now.") : h("ul", { class: "list" }, ...requests);
  };
  const pairingSection = h("section", { class: "card" }, h("h2", {}, "Pairing requests"), pairingList(pairings.data));
  watchPairings(pairingSection, pairings.data, (data) => replace(pairingSection, h("h2", {}, "Pairing requests"), pairingList(data)));

  const active = apps.data.filter((app) => app.revoked_at === null);
  const rows = active.map((app) => {
    const revoke = h("button", { class: "danger small", type: "button" }, "Revoke");
    revoke.addEventListener(
      "click",
      act(revoke, async () => {
        if (confirm(`Revoke ${app.name}? It can no longer use the box until it pairs again.`)) await api("DELETE", `/admin/apps/${encodeURIComponent(app.id)}`);
      }),
    );
    return h(
      "li",
      { "data-app": app.name },
      h(
        "div",
        { class: "row spread" },
        h("span", {}, h("strong", {}, app.name), h("span", { class: "hint" }, ` ${app.scope} · ${app.requests} request(s) · ${(app.prompt_tokens + app.completion_tokens).toLocaleString()} tokens · last used ${ago(app.last_used_at)}`)),
        revoke,
      ),
      h("p", { class: "hint spending" }, spendingLine(app)),
      budgetForm(app, rerender, (error) => message.show(messageOf(error))),
    );
  });

  const name = h("input", { type: "text", maxlength: 100, required: true, autocomplete: "off" });
  const create = h("button", { class: "secondary", type: "submit" }, "Create token");
  const created = h("div");
  const form = h("form", {}, field("App name", name, "For apps that cannot pair, such as Home Assistant's Ollama integration."), create, created);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(create, async () => {
      try {
        const token = await post<AppToken & { token: string }>("/admin/apps", { name: name.value.trim() });
        replace(created, h("p", {}, "Copy this token into the app now; the box shows it only once:"), h("code", { class: "token" }, token.token));
      } catch (error) {
        message.show(messageOf(error));
      }
    })();
  });

  replace(
    root,
    h("h1", {}, "Apps"),
    message,
    pairingSection,
    h("section", { class: "card" }, h("h2", {}, "Paired apps"), rows.length === 0 ? h("p", { class: "hint" }, "No app yet.") : h("ul", { class: "list" }, ...rows)),
    h("section", { class: "card" }, h("h2", {}, "New token"), form),
  );
}

/** How often the open Apps screen asks for new pairing requests: one shows within 2 s, without a reload. */
const PAIRING_POLL_MS = 1000;

/** Polls the pending requests while `section` is on the page; `changed` gets the new list when it differs. */
function watchPairings(section: HTMLElement, first: Pairing[], changed: (data: Pairing[]) => void): void {
  let known = first.map((p) => p.id).join();
  const tick = async () => {
    // Stops once the screen is left or re-rendered: the section is no longer in the document.
    if (!section.isConnected) return;
    if (document.visibilityState === "visible") {
      const now = await get<List<Pairing>>("/admin/pairings").catch(() => undefined);
      const ids = now?.data.map((p) => p.id).join();
      if (now && ids !== undefined && ids !== known) {
        known = ids;
        changed(now.data);
      }
    }
    setTimeout(() => void tick(), PAIRING_POLL_MS);
  };
  setTimeout(() => void tick(), PAIRING_POLL_MS);
}
