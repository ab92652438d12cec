/** `chaibox setup-code`: prints the code the first-run page asks for (made on first use, gone after setup). */
import { commonHelp, configFrom, parse } from "./args.js";
import { withAuthState } from "./auth-state.js";

export function setupCodeHelp(): string {
  return `Usage: chaibox setup-code [--json]

Prints the setup code of this box. The first-run page (http://<box>/) asks for it before anyone can set
the admin password, so that nobody else on the network can take the box before its owner. The code is
made once and kept until setup is done; the service log shows it at every start until then.

Options:
  --json            print {"setup_code": "...", "setup_done": false}
${commonHelp}`;
}

export async function setupCodeCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { json: { type: "boolean" } }, false);
  if (values.help) {
    console.log(setupCodeHelp());
    return;
  }
  const code = withAuthState(await configFrom(values), (auth) => auth.account.setupCode());
  if (values.json === true) console.log(JSON.stringify({ setup_code: code ?? null, setup_done: code === undefined }));
  else console.log(code ?? "This box is already set up: sign in on its page with the admin password.");
}
