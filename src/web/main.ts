/**
 * The page's entry: asks the box what state it is in (setup needed, signed in), then shows the first-run
 * wizard, the sign-in form, or the admin screens, one per `#/route`.
 */
import { get, messageOf, setCsrfToken, whenSignedOut } from "./api.js";
import { h, replace } from "./dom.js";
import { appsScreen } from "./screens/apps.js";
import { chatScreen } from "./screens/chat.js";
import { dashboardScreen } from "./screens/dashboard.js";
import { loginScreen } from "./screens/login.js";
import { modelsScreen } from "./screens/models.js";
import { settingsScreen } from "./screens/settings.js";
import { setupWizard } from "./screens/setup.js";
import { systemScreen } from "./screens/system.js";
import type { Session } from "./types.js";

const main = document.querySelector<HTMLElement>("main") ?? document.body.appendChild(h("main"));
const nav = document.querySelector<HTMLElement>("nav") ?? document.body.appendChild(h("nav"));

/** True right after the first run, which ends on the Chat screen with a greeting. */
let justSetUp = false;

const screens: Record<string, { label: string; show: (root: HTMLElement) => Promise<void> }> = {
  dashboard: { label: "Home", show: dashboardScreen },
  chat: {
    label: "Chat",
    show: (root) => {
      const greeting = justSetUp ? "Your box is ready. Say hello to your box." : "Say hello to your box.";
      justSetUp = false;
      return chatScreen(root, { greeting });
    },
  },
  models: { label: "Models", show: modelsScreen },
  apps: { label: "Apps", show: appsScreen },
  settings: { label: "Settings", show: (root) => settingsScreen(root, () => void start()) },
  system: { label: "System", show: systemScreen },
};

function route(): string {
  // /pair is where an app that asks to pair sends the owner (its verification_uri).
  if (location.pathname === "/pair" && location.hash === "") return "apps";
  const name = location.hash.replace(/^#\/?/, "");
  return name in screens ? name : "dashboard";
}

async function showRoute(): Promise<void> {
  const current = route();
  nav.hidden = false;
  replace(nav, ...Object.entries(screens).map(([name, screen]) => h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, screen.label)));
  main.dataset.screen = current;
  try {
    await screens[current]?.show(main);
  } catch (error) {
    replace(main, h("p", { class: "notice", "data-kind": "error" }, messageOf(error)), h("button", { class: "secondary", onclick: () => void showRoute() }, "Try again"));
  }
}

async function start(): Promise<void> {
  let session: Session;
  try {
    session = await get<Session>("/admin/session");
  } catch (error) {
    replace(main, h("p", { class: "notice", "data-kind": "error" }, messageOf(error)), h("button", { class: "secondary", onclick: () => void start() }, "Try again"));
    return;
  }
  setCsrfToken(session.csrf_token);
  nav.hidden = true;
  if (session.setup_required) {
    main.dataset.screen = "setup";
    return setupWizard(main, () => {
      justSetUp = true;
      location.hash = "#/chat";
      void showRoute();
    });
  }
  if (!session.signed_in) {
    main.dataset.screen = "login";
    // A pairing link (verification_uri_complete): say which app asks; after sign-in /pair opens the approval.
    const userCode = location.pathname === "/pair" ? new URLSearchParams(location.search).get("user_code") : null;
    const asking = userCode === null ? undefined : await get<{ app_name: string }>(`/chai/v1/pairings/lookup?user_code=${encodeURIComponent(userCode)}`).catch(() => undefined);
    const intro = asking ? `“${asking.app_name}” asks to use this box (code ${userCode ?? ""}). Sign in to approve it.` : undefined;
    return loginScreen(main, () => void showRoute(), intro);
  }
  await showRoute();
}

whenSignedOut(() => void start());
window.addEventListener("hashchange", () => {
  if (!nav.hidden) void showRoute();
});
void start();
