/**
 * The model a person on this box would want first, out of fit's choices, and the box's abilities in plain
 * words. Pure. Fit ranks by size (a bigger model answers better); a first model must also answer at a
 * comfortable speed, download in reasonable time and leave memory to spare for the rest of the box.
 */
import type { FitChoice, FitResult } from "./fit.js";

/** Generation speed a person reads along with comfortably. */
export const COMFORTABLE_TOKENS_PER_SECOND = 10;
/** The download speed estimates assume (50 Mbit/s), stated next to each estimate. */
export const ASSUMED_DOWNLOAD_BYTES_PER_SECOND = 50e6 / 8;
/** The longest first download that is reasonable while a person waits on the setup page. */
export const MAX_FIRST_DOWNLOAD_SECONDS = 30 * 60;
/** Share of fit's memory budget a first model may take, so the box keeps memory to spare. */
export const MEMORY_SHARE = 0.6;

/** Seconds a download of `bytes` takes at the assumed speed. */
export function downloadSeconds(bytes: number): number {
  return Math.ceil(bytes / ASSUMED_DOWNLOAD_BYTES_PER_SECOND);
}

function memoryFits(choice: FitChoice, result: FitResult): boolean {
  const { budget } = result;
  if (choice.fullOffload && !budget.unified && budget.vramBytes > 0) return choice.estimate.vramBytes <= budget.vramBytes * MEMORY_SHARE;
  return choice.estimate.ramBytes + (budget.unified ? choice.estimate.vramBytes : 0) <= budget.ramBytes * MEMORY_SHARE;
}

/** Whether a choice is comfortable here: speed, download time and memory to spare. */
export function comfortable(choice: FitChoice, result: FitResult): boolean {
  return choice.tokensPerSecond >= COMFORTABLE_TOKENS_PER_SECOND && downloadSeconds(choice.sizeBytes) <= MAX_FIRST_DOWNLOAD_SECONDS && memoryFits(choice, result);
}

/**
 * The chat model to tick on the first run: the biggest comfortable one not yet installed; when none is
 * comfortable, the fastest chat model (where any model fits). Undefined when no chat model is left to
 * install.
 */
export function preselect(result: FitResult): FitChoice | undefined {
  const chat = result.choices.filter((c) => c.kind === "chat" && c.installedId === undefined);
  const good = chat.filter((c) => comfortable(c, result));
  if (good.length > 0) return good.reduce((best, c) => (c.parameters > best.parameters || (c.parameters === best.parameters && c.tokensPerSecond > best.tokensPerSecond) ? c : best));
  return chat.reduce<FitChoice | undefined>((best, c) => (best === undefined || c.tokensPerSecond > best.tokensPerSecond ? c : best), undefined);
}

/** `8190735360` → `8B`, `596049920` → `0.6B`. */
export function parameterCount(parameters: number): string {
  const billions = parameters / 1e9;
  return `${billions >= 10 ? Math.round(billions) : Number(billions.toFixed(1))}B`;
}

/** What models the box runs well, in words: "models up to about 8B parameters run well". */
export function abilities(result: FitResult): string {
  const chat = result.choices.filter((c) => c.kind === "chat");
  if (chat.length === 0) return "no chat model fits in its memory";
  const good = chat.filter((c) => c.tokensPerSecond >= COMFORTABLE_TOKENS_PER_SECOND);
  if (good.length === 0) {
    const smallest = chat.reduce((a, c) => (c.parameters < a.parameters ? c : a));
    return `models of about ${parameterCount(smallest.parameters)} parameters run, slowly`;
  }
  const biggest = good.reduce((a, c) => (c.parameters > a.parameters ? c : a));
  return `models up to about ${parameterCount(biggest.parameters)} parameters run well`;
}
