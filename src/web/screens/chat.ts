/**
 * Chat: try the box on its own page. Pick an installed chat model, talk to it with the reply streamed, stop a
 * reply, see the speed in tokens per second, start over. Uses the same `/v1` API as apps.
 */
import { messageOf, sessionHeaders } from "../api.js";
import { streamChat, type ChatMessage } from "../chat-stream.js";
import { field, h, notice, replace } from "../dom.js";

interface ModelEntry {
  id: string;
  chai?: { capabilities?: { embeddings?: boolean }; modalities?: { output?: string[] } };
}

/** The model chosen last, kept across visits to the screen. */
let lastModel: string | undefined;

async function chatModels(): Promise<string[]> {
  const response = await fetch("/v1/models", { credentials: "same-origin", headers: { accept: "application/json", ...sessionHeaders() } });
  if (!response.ok) throw new Error(`The box answered ${response.status} for its models.`);
  const list = (await response.json()) as { data: ModelEntry[] };
  // Embedding models do not chat.
  return list.data.filter((m) => !(m.chai?.modalities?.output ?? ["text"]).includes("embedding")).map((m) => m.id);
}

export async function chatScreen(root: HTMLElement, options: { greeting?: string } = {}): Promise<void> {
  const models = await chatModels();
  if (models.length === 0) {
    replace(root, h("h1", {}, "Chat"), h("p", {}, "No chat model is installed yet."), h("a", { class: "button primary", href: "#/models" }, "Download a model"));
    return;
  }
  const select = h("select", {}, ...models.map((id) => h("option", { value: id, selected: id === lastModel }, id)));
  const transcript = h("ol", { class: "transcript", "aria-live": "polite" });
  const input = h("textarea", { rows: 2, placeholder: "Say hello to your box.", "aria-label": "Message", maxlength: 8000 });
  const send = h("button", { class: "primary", type: "submit" }, "Send");
  const stop = h("button", { class: "secondary", type: "button", hidden: true }, "Stop");
  const fresh = h("button", { class: "secondary", type: "button" }, "New conversation");
  const speed = h("p", { class: "hint speed" });
  const message = notice();
  let history: ChatMessage[] = [];
  let running: AbortController | undefined;

  const bubble = (role: ChatMessage["role"], text: string) => {
    const item = h("li", { class: `bubble ${role}`, "data-role": role }, text);
    transcript.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  };
  const setRunning = (on: boolean) => {
    send.hidden = on;
    stop.hidden = !on;
    input.disabled = on;
    select.disabled = on;
  };

  const ask = async () => {
    const text = input.value.trim();
    if (text === "" || running) return;
    lastModel = select.value;
    input.value = "";
    message.show("");
    bubble("user", text);
    history.push({ role: "user", content: text });
    const reply = bubble("assistant", "");
    reply.dataset.state = "streaming";
    running = new AbortController();
    setRunning(true);
    let pieces = 0;
    try {
      const result = await streamChat(select.value, history, (piece) => {
        pieces++;
        reply.textContent += piece;
        reply.scrollIntoView({ block: "end" });
      }, running.signal);
      history.push({ role: "assistant", content: result.text });
      const tokens = result.completionTokens ?? pieces;
      const perSecond = result.generationSeconds > 0 && tokens > 1 ? (tokens - 1) / result.generationSeconds : null;
      speed.textContent = `${tokens} tokens${perSecond === null ? "" : ` · ${perSecond.toFixed(perSecond < 10 ? 1 : 0)} tokens/s`}${result.stopped ? " · stopped" : ""}`;
      reply.dataset.state = result.stopped ? "stopped" : "done";
    } catch (error) {
      reply.dataset.state = "failed";
      message.show(messageOf(error));
      history.pop();
    } finally {
      running = undefined;
      setRunning(false);
      input.focus();
    }
  };

  const form = h("form", { class: "composer" }, input, h("div", { class: "row" }, send, stop, fresh));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void ask();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void ask();
    }
  });
  stop.addEventListener("click", () => running?.abort());
  fresh.addEventListener("click", () => {
    running?.abort();
    history = [];
    replace(transcript);
    speed.textContent = "";
    message.show("");
    input.focus();
  });

  replace(
    root,
    h("h1", {}, "Chat"),
    options.greeting ? h("p", { class: "greeting" }, options.greeting) : null,
    field("Model", select),
    transcript,
    message,
    speed,
    form,
  );
}
