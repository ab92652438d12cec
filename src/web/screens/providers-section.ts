/**
 * Settings → Providers: the other Chai boxes and OpenAI-compatible servers this box uses. Boxes on the
 * network are found with one tap and added by pairing (the code to approve on the other box shows here,
 * and the card follows the pairing until it is done); other servers take a URL, a key and their prices.
 */
import { api, get, messageOf, post } from "../api.js";
import { busy, field, h, notice, replace } from "../dom.js";
import { ago } from "../format.js";
import type { DiscoveredBox, List, ProviderView } from "../types.js";

/** How often the card looks again while a pairing or a first check is under way. */
const FOLLOW_MS = 1500;

const statusText: Record<ProviderView["status"], string> = {
  ready: "ready",
  unavailable: "unavailable",
  pairing: "waiting for approval",
  pairing_failed: "pairing failed",
};

/** A provider id from a box's name: `Study box` → `study-box`. */
function idFrom(name: string): string {
  const id = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 32);
  return id === "" ? "box" : id;
}

function providerRow(provider: ProviderView, act: (button: HTMLButtonElement, action: () => Promise<unknown>) => () => void): HTMLElement {
  const buttons: HTMLElement[] = [];
  if (provider.source === "admin") {
    const remove = h("button", { class: "danger small", type: "button" }, "Remove");
    remove.addEventListener(
      "click",
      act(remove, async () => {
        if (confirm(`Remove ${provider.name}? Its models leave this box's list.`)) await api("DELETE", `/admin/providers/${encodeURIComponent(provider.id)}`);
      }),
    );
    buttons.push(remove);
  }
  if (provider.status === "pairing_failed") {
    const again = h("button", { class: "secondary small", type: "button" }, "Pair again");
    again.addEventListener("click", act(again, () => post(`/admin/providers/${encodeURIComponent(provider.id)}/pair`)));
    buttons.push(again);
  }
  const pairing = provider.pairing;
  return h(
    "li",
    { class: "provider", "data-provider": provider.id, "data-status": provider.status },
    h("strong", {}, provider.name),
    h(
      "span",
      { class: "hint" },
      ` ${provider.id} · ${provider.kind === "chai" ? "Chai box" : "OpenAI-compatible"} · `,
      h("span", { class: "provider-status" }, statusText[provider.status]),
      ` · ${provider.models.length} model(s)`,
      provider.prices ? ` · ${provider.prices.input_per_million_tokens}/${provider.prices.output_per_million_tokens} USD per million tokens in/out` : " · free",
      provider.checked_at ? ` · checked ${ago(provider.checked_at)}` : "",
      provider.source === "config" ? " · from the configuration file" : "",
    ),
    pairing
      ? h("p", {}, "On the other box, approve the code ", h("code", { class: "user-code" }, pairing.user_code), ` under Apps (${pairing.verification_uri}).`)
      : null,
    provider.error ? h("p", { class: "hint" }, provider.error) : null,
    buttons.length > 0 ? h("div", { class: "row" }, ...buttons) : null,
  );
}

/** The Providers card; it re-renders itself after each change, and while a pairing or first check runs. */
export async function providersSection(): Promise<HTMLElement> {
  const section = h("section", { class: "card", id: "providers" });
  const message = notice();
  const found = h("div");
  const kind = h("select", {}, h("option", { value: "chai" }, "Chai box"), h("option", { value: "openai" }, "OpenAI-compatible server"));
  const id = h("input", { type: "text", maxlength: 32, required: true, autocomplete: "off", pattern: "[a-z0-9][a-z0-9-]*" });
  const url = h("input", { type: "text", inputmode: "url", required: true, autocomplete: "off", placeholder: "http://study.local" });
  const name = h("input", { type: "text", maxlength: 100, autocomplete: "off" });
  const key = h("input", { type: "password", autocomplete: "off" });
  const inputPrice = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0" });
  const outputPrice = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0" });
  const add = h("button", { class: "primary", type: "submit" }, "Add provider");
  const form = h(
    "form",
    {},
    field("Provider kind", kind),
    field("Provider id", id, "The prefix of its models here: study/qwen3:4b."),
    field("Provider address", url, "A Chai box's address, or an OpenAI-compatible API's base URL (…/v1)."),
    field("Provider name", name),
    field("API key", key, "For an OpenAI-compatible server; a Chai box pairs instead. Kept on this box only."),
    field("Input price", inputPrice, "USD per million tokens; empty for a free server."),
    field("Output price", outputPrice),
    add,
  );

  let timer: ReturnType<typeof setTimeout> | undefined;
  const render = async (): Promise<void> => {
    clearTimeout(timer);
    const providers = await get<List<ProviderView>>("/admin/providers");
    const act = (button: HTMLButtonElement, action: () => Promise<unknown>) =>
      busy(button, async () => {
        try {
          await action();
          await render();
        } catch (error) {
          message.show(messageOf(error));
        }
      });
    const rows = providers.data.map((p) => providerRow(p, act));
    const find = h("button", { class: "secondary", type: "button" }, "Find boxes on the network");
    find.addEventListener("click", act(find, () => showFound()));
    replace(
      section,
      h("h2", {}, "Providers"),
      h("p", { class: "hint" }, "Other boxes and servers whose models this box serves too, under their id. Apps keep their token; budgets count what paid ones cost."),
      message,
      rows.length === 0 ? h("p", { class: "hint" }, "No provider yet.") : h("ul", { class: "list" }, ...rows),
      find,
      found,
      h("h3", {}, "Add a provider"),
      form,
    );
    // Follows a pairing (until approved) and a first check, without a reload, while the card is shown.
    if (providers.data.some((p) => p.status === "pairing" || p.checked_at === null)) {
      timer = setTimeout(() => void (section.isConnected ? render().catch(() => undefined) : undefined), FOLLOW_MS);
    }
  };

  const showFound = async (): Promise<void> => {
    replace(found, h("p", { class: "hint" }, "Looking…"));
    const boxes = await get<List<DiscoveredBox>>("/admin/providers/discovered");
    const items = boxes.data.map((box) => {
      const pick = h("button", { class: "secondary small", type: "button", disabled: box.added }, box.added ? "Added" : "Add");
      pick.addEventListener("click", () => {
        kind.value = "chai";
        id.value = idFrom(box.name);
        url.value = box.url;
        name.value = box.name;
        id.focus();
      });
      return h("li", { class: "row spread", "data-box": box.name }, h("span", {}, h("strong", {}, box.name), h("span", { class: "hint" }, ` ${box.url}`)), pick);
    });
    replace(found, items.length === 0 ? h("p", { class: "hint" }, "No other Chai box answered on this network.") : h("ul", { class: "list" }, ...items));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(add, async () => {
      try {
        const price = (input: HTMLInputElement) => Number(input.value.trim() || "0");
        const priced = inputPrice.value.trim() !== "" || outputPrice.value.trim() !== "";
        const added = await post<ProviderView>("/admin/providers", {
          id: id.value.trim(),
          kind: kind.value,
          url: url.value.trim(),
          ...(name.value.trim() !== "" && { name: name.value.trim() }),
          ...(key.value !== "" && { api_key: key.value }),
          ...(priced && { prices: { input_per_million_tokens: price(inputPrice), output_per_million_tokens: price(outputPrice) } }),
        });
        id.value = url.value = name.value = key.value = inputPrice.value = outputPrice.value = "";
        await render();
        message.show(added.status === "pairing" ? `Added ${added.name}: approve the code shown below on it.` : `Added ${added.name}: ${statusText[added.status]}.`, "ok");
      } catch (error) {
        message.show(messageOf(error));
      }
    })();
  });

  await render();
  return section;
}
