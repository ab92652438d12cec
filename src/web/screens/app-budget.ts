/** An app's spending this month and its monthly budget on the Apps screen, with a field to set or clear it. */
import { api } from "../api.js";
import { busy, h } from "../dom.js";
import { dollars } from "../format.js";
import type { AppToken } from "../types.js";

/** This month's spending against the budget, in a line. */
export function spendingLine(app: AppToken): string {
  const { budget } = app;
  const spent = `This month (${budget.month}): ${dollars(budget.spent_usd)} spent`;
  if (budget.monthly_usd === null) return `${spent} · no budget`;
  return `${spent} of a ${dollars(budget.monthly_usd)} budget · ${dollars(budget.remaining_usd ?? 0)} left`;
}

/**
 * The budget form of one app: an amount in USD sets the monthly budget, an empty field clears it. `saved`
 * runs after the box took the change (the screen re-renders); `failed` shows what went wrong.
 */
export function budgetForm(app: AppToken, saved: () => void, failed: (error: unknown) => void): HTMLFormElement {
  const input = h("input", {
    type: "number",
    id: `budget-${app.id}`,
    min: 0,
    step: "any",
    inputmode: "decimal",
    placeholder: "No budget",
    value: app.budget.monthly_usd ?? "",
  });
  const save = h("button", { class: "secondary small", type: "submit" }, "Save budget");
  const form = h(
    "form",
    { class: "budget" },
    h("div", { class: "field" }, h("label", { for: input.id }, "Monthly budget (USD)"), input),
    save,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      const text = input.value.trim();
      try {
        await api("PATCH", `/admin/apps/${encodeURIComponent(app.id)}`, { monthly_budget_usd: text === "" ? null : Number(text) });
        saved();
      } catch (error) {
        failed(error);
      }
    })();
  });
  return form;
}
