/**
 * A phone for the browser tests: Debian's Chromium through playwright-core at 390×844 with touch, plus the
 * checks every screen must pass and a screenshot of each step.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const artifactsDir = join(new URL("../../..", import.meta.url).pathname, ".cache", "test-artifacts", "web");

export interface Phone {
  page: Page;
  /** Screenshots the page as `<name>.png` and returns the layout problems found on it. */
  check(name: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function openPhone(): Promise<Phone> {
  await mkdir(artifactsDir, { recursive: true });
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  // Confirmations (delete, revoke) are accepted: the tests decide by clicking.
  page.on("dialog", (dialog) => void dialog.accept());
  return {
    page,
    async check(name) {
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
      return page.evaluate<string[]>(layoutProblems);
    },
    close: () => browser.close(),
  };
}

/**
 * Runs in the page (plain JavaScript: the tests are compiled without the DOM's types): no sideways scrolling,
 * tap targets of 44 px or more, inputs with text of 16 px or more. A checkbox's target is the label that
 * wraps it.
 */
const layoutProblems = `(() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push("scrolls sideways: " + root.scrollWidth + " px wide in " + root.clientWidth + " px");
  const shown = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden" ? box : undefined;
  };
  const name = (element) => "<" + element.tagName.toLowerCase() + "> " + JSON.stringify((element.textContent || "").trim().slice(0, 30) || element.getAttribute("aria-label") || element.id);
  for (const element of document.querySelectorAll("button, a[href], input, select, textarea")) {
    const checkbox = element.type === "checkbox";
    const box = shown(checkbox ? element.closest("label") || element : element);
    if (box && (box.width < 44 || box.height < 44)) problems.push("tap target " + name(element) + " is " + Math.round(box.width) + "x" + Math.round(box.height) + " px");
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (!checkbox && element.tagName !== "BUTTON" && element.tagName !== "A" && shown(element) && size < 16) problems.push("input " + name(element) + " has " + size + " px text");
  }
  return problems;
})()`;
