/** How apps reach the box: its address, its mDNS names, a QR code, and Home Assistant step by step. */
import { get, messageOf } from "../api.js";
import { h } from "../dom.js";
import type { Connect } from "../types.js";

export async function connectPanel(): Promise<HTMLElement> {
  let info: Connect;
  try {
    info = await get<Connect>("/admin/connect");
  } catch (error) {
    return h("p", { class: "notice", "data-kind": "error" }, messageOf(error));
  }
  const qr = h("div", { class: "qr", role: "img", "aria-label": `QR code of ${info.url}` });
  // The SVG is the box's own rendering of its URL (no user input), parsed as an image document.
  const svg = new DOMParser().parseFromString(info.qr_svg, "image/svg+xml").documentElement;
  qr.appendChild(document.importNode(svg, true));
  return h(
    "div",
    { class: "connect" },
    h(
      "dl",
      {},
      h("dt", {}, "Address"),
      h("dd", {}, h("code", {}, info.url)),
      h("dt", {}, "OpenAI-compatible API"),
      h("dd", {}, h("code", {}, info.api_base)),
      h("dt", {}, "On the network (mDNS)"),
      h("dd", { class: "mdns", "data-responder": info.mdns.responder }, ...mdnsWords(info)),
    ),
    qr,
    h("h2", {}, "Home Assistant"),
    h(
      "ol",
      { class: "steps" },
      h("li", {}, "Settings → Devices & services → Add integration → Ollama."),
      h("li", {}, "URL: ", h("code", {}, info.ollama_url), " (no path)."),
      h("li", {}, "Create a token for Home Assistant under Apps here, and enter it as the API key where asked."),
      h("li", {}, "Pick a model that lists tools (for controlling devices), then set it as your voice assistant's conversation agent."),
    ),
    h("h2", {}, "Other apps"),
    h("p", {}, "Apps that speak Chai find the box by themselves and ask to pair: approve them under Apps. Others take the API address above and a token from Apps."),
  );
}

/** The truth about mDNS: off, or who advertises the box under which host name. */
function mdnsWords(info: Connect): (Node | string)[] {
  const { responder, host, type, service } = info.mdns;
  if (responder === "none" || host === null) return ["Off: apps on the network do not find the box by themselves; give them the address above."];
  const by = responder === "avahi" ? "Avahi (the system's mDNS responder)" : "chaibox's own responder";
  return [h("code", {}, host), ` · advertised by ${by}; apps that browse ${type} find “${service}”`];
}
