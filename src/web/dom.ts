/** A few DOM helpers: the UI is small enough that plain elements beat a framework and its download. */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | null | undefined>;

/** Creates an element: `h("button", { class: "primary", onclick: go }, "Next")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled form field; the label is tied to the input for screen readers and bigger tap targets. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  input.id ||= `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint" }, hint) : null);
}

/** A message line for a form: errors in red, announced by screen readers. */
export type Notice = HTMLElement & { show(text: string, kind?: "error" | "ok"): void };

export function notice(): Notice {
  const element = h("p", { class: "notice", role: "status", "aria-live": "polite" });
  return Object.assign(element, {
    show(text: string, kind: "error" | "ok" = "error") {
      element.textContent = text;
      element.dataset.kind = kind;
    },
  });
}

/** Disables a button while its action runs, so a double tap does not send twice. */
export function busy(button: HTMLButtonElement, action: () => Promise<void>): () => void {
  return () => {
    if (button.disabled) return;
    button.disabled = true;
    void action().finally(() => (button.disabled = false));
  };
}
