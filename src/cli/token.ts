/** `chaibox token create|list|revoke`: app tokens, written straight into the data dir's state database. */
import type { TokenRecord, TokenScope } from "../auth/tokens.js";
import { tokenScopes } from "../auth/tokens.js";
import { commonHelp, configFrom, parse, UsageError } from "./args.js";
import { withAuthState } from "./auth-state.js";
import { jsonOutput, table } from "./format.js";

export function tokenHelp(): string {
  return `Usage: chaibox token <action> [options]

Actions:
  token create --name N [--scope inference|models|admin] make a token and print it (the only time it is shown)
  token list                                        every token: name, scope, last use, requests, revoked
  token revoke <id>                                 revoke a token: requests with it fail from now on

Apps send a token as 'Authorization: Bearer <token>'. Scope 'inference' (the default) may use /v1, /api,
/chai/v1 and /metrics; 'admin' may also use /admin. The box stores only a hash of each token. A running
server sees new and revoked tokens at once.

Options:
  --name N          a name that says which app or script uses the token
  --scope S         inference (default), models (inference plus pull/delete models) or admin
  --json            machine-readable output
${commonHelp}`;
}

function listTable(tokens: TokenRecord[]): string {
  if (tokens.length === 0) return "No app tokens. Create one with 'chaibox token create --name NAME'.";
  return table(
    ["ID", "NAME", "SCOPE", "SOURCE", "LAST USED", "REQUESTS", "REVOKED"],
    tokens.map((t) => [t.id, t.name, t.scope, t.source, t.lastUsedAt ?? "never", t.requests, t.revokedAt ?? ""]),
  );
}

function scopeOf(value: string | undefined): TokenScope {
  if (value === undefined) return "inference";
  if (!(tokenScopes as readonly string[]).includes(value)) throw new UsageError(`--scope must be inference, models or admin, got '${value}'`);
  return value as TokenScope;
}

export async function tokenCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { name: { type: "string" }, scope: { type: "string" }, json: { type: "boolean" } });
  const [action, id] = positionals;
  if (values.help || action === undefined) {
    console.log(tokenHelp());
    if (!values.help) process.exitCode = 2;
    return;
  }
  const config = await configFrom(values);
  const print = (data: unknown, text: string) => console.log(values.json === true ? jsonOutput(data) : text);
  if (action === "create") {
    if (values.name === undefined || values.name.trim() === "") throw new UsageError("token create needs --name");
    const name = values.name.trim();
    const created = withAuthState(config, (auth) => auth.tokens.create(name, scopeOf(values.scope), "cli"));
    print(created, `${created.token}\n\nThe token for '${created.name}' (${created.scope}, id ${created.id}). It is shown only now: copy it into the app.`);
  } else if (action === "list") {
    const tokens = withAuthState(config, (auth) => auth.tokens.list());
    print(tokens, listTable(tokens));
  } else if (action === "revoke") {
    if (id === undefined) throw new UsageError("token revoke needs a token id (see 'chaibox token list')");
    const revoked = withAuthState(config, (auth) => auth.tokens.revoke(id));
    print(revoked, `Revoked ${revoked.id} (${revoked.name}).`);
  } else throw new UsageError(`unknown token action '${action}'`);
}
