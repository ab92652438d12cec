/**
 * The recommended models as cards: one layout on every screen, the action (a checkbox on the first run, a
 * Download button or an "Installed" mark on Models) in the same place on every card. Chat models and
 * embedding models are separate lists: an embedding model is never offered as a chat model.
 */
import { h } from "../dom.js";
import { bytes, duration, rate } from "../format.js";
import type { Recommendation, Recommendations } from "../types.js";

function megabits(bytesPerSecond: number): string {
  return `${Math.round((bytesPerSecond * 8) / 1e6)} Mbit/s`;
}

function details(choice: Recommendation, recommendations: Recommendations): HTMLElement {
  const facts = [`about ${rate(choice.tokens_per_second)}`, `${choice.context_length.toLocaleString()} tokens of context`];
  return h(
    "div",
    { class: "choice-text" },
    h("strong", {}, choice.name),
    choice.description ? h("span", {}, choice.description) : null,
    h("span", { class: "hint size" }, `${bytes(choice.size_bytes)} download · about ${duration(choice.download_seconds)} at ${megabits(recommendations.download_bytes_per_second)}`),
    h("span", { class: "hint" }, facts.join(" · "), choice.slow ? " · slow on this box" : ""),
  );
}

function section(title: string, cards: HTMLElement[]): HTMLElement | null {
  return cards.length === 0 ? null : h("div", { class: "choices" }, h("h3", {}, title), ...cards);
}

/** Checkboxes (the first run): the chat models, the one that suits this box ticked when asked. */
export function recommendationList(
  recommendations: Recommendations,
  options: { preselectBest: boolean },
): { element: HTMLElement; selected(): string[]; selectedChoices(): Recommendation[] } {
  const chat = recommendations.choices.filter((c) => c.kind === "chat");
  if (chat.length === 0) {
    return { element: h("p", { class: "notice", "data-kind": "error" }, recommendations.message ?? "No chat model fits this box."), selected: () => [], selectedChoices: () => [] };
  }
  const boxes = chat.map((choice) => {
    const box = h("input", { type: "checkbox", value: choice.ref, disabled: choice.installed, checked: options.preselectBest && choice.preselected, "aria-label": `Download ${choice.name}` });
    const action = choice.installed ? h("span", { class: "badge" }, "Installed") : h("label", { class: "pick" }, box);
    return { choice, box, row: h("div", { class: "choice", "data-ref": choice.ref }, details(choice, recommendations), h("div", { class: "choice-action" }, action)) };
  });
  const picked = () => boxes.filter((b) => b.box.checked && !b.choice.installed);
  return {
    element: h("div", { class: "choices" }, ...boxes.map((b) => b.row)),
    selected: () => picked().map((b) => b.choice.ref),
    selectedChoices: () => picked().map((b) => b.choice),
  };
}

/** Cards with their own Download button (the Models screen): chat models, then embedding models. */
export function catalogRows(recommendations: Recommendations, download: (choice: Recommendation) => void): HTMLElement {
  if (recommendations.choices.length === 0) return h("p", { class: "hint" }, recommendations.message ?? "No catalog model fits this box.");
  const card = (choice: Recommendation) =>
    h(
      "div",
      { class: "choice", "data-ref": choice.ref },
      details(choice, recommendations),
      h(
        "div",
        { class: "choice-action" },
        choice.installed ? h("span", { class: "badge" }, "Installed") : h("button", { class: "secondary small", type: "button", onclick: () => download(choice) }, "Download"),
      ),
    );
  return h(
    "div",
    {},
    section("Chat models", recommendations.choices.filter((c) => c.kind === "chat").map(card)),
    section("Embedding models (search, not chat)", recommendations.choices.filter((c) => c.kind === "embedding").map(card)),
  );
}
