/** Sign-in with the admin password set during setup. */
import { messageOf, post, setCsrfToken } from "../api.js";
import { busy, field, h, notice, replace } from "../dom.js";
import type { SignedIn } from "../types.js";

/** `intro`: what the owner came for, e.g. the app asking to pair; default: what the page is for. */
export function loginScreen(root: HTMLElement, signedIn: () => void, intro = "Manage your AI box: models, apps and settings."): void {
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const message = notice();
  const submit = h("button", { class: "primary", type: "submit" }, "Sign in");
  const form = h("form", {}, field("Admin password", password), message, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        const session = await post<SignedIn>("/admin/login", { password: password.value });
        setCsrfToken(session.csrf_token);
        signedIn();
      } catch (error) {
        message.show(messageOf(error));
        password.select();
      }
    })();
  });
  replace(root, h("h1", {}, "Sign in"), h("p", { class: "intro" }, intro), form);
  password.focus();
}
