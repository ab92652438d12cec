/** The recommended models as a list to choose from (setup) or to download one by one (Models). */
import { h } from "../dom.js";
import { bytes, rate } from "../format.js";
import type { Recommendation, Recommendations } from "../types.js";

function details(choice: Recommendation): HTMLElement {
  const facts = [bytes(choice.size_bytes), `about ${rate(choice.tokens_per_second)}`, `${choice.context_length.toLocaleString()} tokens of context`];
  return h(
    "div",
    { class: "choice-text" },
    h("strong", {}, choice.name, choice.installed ? h("span", { class: "badge" }, "installed") : null),
    choice.description ? h("span", {}, choice.description) : null,
    h("span", { class: "hint" }, facts.join(" · "), choice.slow ? " · slow on this box" : ""),
  );
}

/** Checkboxes; the best chat model not yet installed is ticked when asked. */
export function recommendationList(
  recommendations: Recommendations,
  options: { preselectBest: boolean },
): { element: HTMLElement; selected(): string[]; selectedChoices(): Recommendation[] } {
  if (recommendations.choices.length === 0) {
    return { element: h("p", { class: "notice", "data-kind": "error" }, recommendations.message ?? "No model fits this box."), selected: () => [], selectedChoices: () => [] };
  }
  const best = recommendations.choices.find((c) => c.kind === "chat" && !c.installed);
  const boxes = recommendations.choices.map((choice) => {
    const box = h("input", { type: "checkbox", value: choice.ref, disabled: choice.installed, checked: options.preselectBest && choice === best });
    return { choice, box, row: h("label", { class: "choice" }, box, details(choice)) };
  });
  const picked = () => boxes.filter((b) => b.box.checked && !b.choice.installed);
  return {
    element: h("div", { class: "choices" }, ...boxes.map((b) => b.row)),
    selected: () => picked().map((b) => b.choice.ref),
    selectedChoices: () => picked().map((b) => b.choice),
  };
}

/** One row per recommendation with its own Download button (the Models screen). */
export function catalogRows(recommendations: Recommendations, download: (choice: Recommendation) => void): HTMLElement {
  if (recommendations.choices.length === 0) return h("p", { class: "hint" }, recommendations.message ?? "No catalog model fits this box.");
  return h(
    "div",
    { class: "choices" },
    ...recommendations.choices.map((choice) =>
      h(
        "div",
        { class: "choice" },
        details(choice),
        choice.installed ? null : h("button", { class: "secondary small", type: "button", onclick: () => download(choice) }, "Download"),
      ),
    ),
  );
}
