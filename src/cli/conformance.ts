/** `chaibox conformance <URL>`: scores any server against the Chai specification (docs/chai-v1.md). */
import { runConformance } from "../conformance/run.js";
import { formatReport, formatResult } from "../conformance/score.js";
import { UsageError, parse, parseInteger } from "./args.js";

export function conformanceHelp(): string {
  return `Usage: chaibox conformance <URL> [--token T] [--json] [--section N] [--model M] [--embedding-model E] [--no-mdns]

Checks every requirement of the Chai specification (docs/chai-v1.md) that can be observed from outside
against the server at URL (chaibox, llama.cpp's llama-server, any OpenAI-compatible server). Each check is
printed with its requirement id ([§3-2]), its level (MUST or SHOULD) and PASS, FAIL or n/a (a feature the
server does not serve); a failure shows what was sent and what came back. Scores per section and overall
end the report: MUST passed/applicable · SHOULD passed/applicable.

The run sends about 100 small requests (short prompts, a few tokens each), deletes the responses it stored
and withdraws the pairing request it made. It exits 0 when every applicable MUST passed, else 1.

Options:
  --token T             bearer token for the API (env CHAI_TOKEN)
  --json                print the report as JSON (for docs/conformance/)
  --section N           only the checks of section N
  --model M             the chat model to use [default: chosen by its chai metadata]
  --embedding-model E   the embedding model to use [default: chosen by its chai metadata]
  --no-mdns             do not browse mDNS for the server's advertisement (§6-3 is then n/a)
  -h, --help            show this help`;
}

export async function conformanceCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    token: { type: "string" },
    json: { type: "boolean" },
    section: { type: "string" },
    model: { type: "string" },
    "embedding-model": { type: "string" },
    "no-mdns": { type: "boolean" },
  });
  if (values.help) {
    console.log(conformanceHelp());
    return;
  }
  const [url, ...rest] = positionals;
  if (url === undefined || rest.length > 0) throw new UsageError("conformance takes one URL");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL (e.g. http://chaibox.local)`);
  }
  const section = parseInteger("section", values.section);
  const token = values.token ?? process.env.CHAI_TOKEN;
  const report = await runConformance({
    url,
    ...(token !== undefined && { token }),
    ...(section !== undefined && { section }),
    ...(values.model !== undefined && { model: values.model }),
    ...(values["embedding-model"] !== undefined && { embeddingModel: values["embedding-model"] }),
    mdns: values["no-mdns"] !== true,
    ...(!values.json && { onResult: (result) => console.error(formatResult(result)[0]) }),
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  if (report.overall.must.passed < report.overall.must.applicable) process.exitCode = 1;
}
