/** `chaibox serve`: runs the service until SIGTERM/SIGINT. */
import { configKeys } from "../config/load.js";
import { serveLogger } from "./log-output.js";
import { startServer } from "../main.js";
import { ServiceState } from "../platform/service-state.js";
import { serviceFigures } from "../wiring/service.js";
import { commonHelp, configFrom, parse, parseInteger, UsageError } from "./args.js";

/** How long a start may take before systemd gives up (EXTEND_TIMEOUT_USEC). */
const START_ALLOWANCE_MS = 120_000;
/** How long requests in flight may go on after SIGTERM before their runners are stopped. */
const DRAIN_DEADLINE_MS = 10_000;

function configHelp(): string {
  return configKeys()
    .map(({ path, schema, env }) => {
      const fallback = schema.default === undefined || schema.default === "" ? "" : ` [default: ${JSON.stringify(schema.default)}]`;
      return `  ${path.join(".").padEnd(28)} ${env}\n      ${String(schema.description ?? "")}${fallback}`;
    })
    .join("\n");
}

export function serveHelp(): string {
  return `Usage: chaibox serve [options]

Serves the Chai/OpenAI API and the models installed in the data directory.

Options:
  --host H          address to listen on
  --port P          HTTP port
  --log-level L     fatal, error, warn, info, debug or trace
  --log-format F    auto (default: human lines on a terminal, JSON otherwise and under systemd), json or pretty
  --no-mdns         do not advertise this box over mDNS (same as mdns: off)
  --hardware FILE   act as if on the hardware a saved snapshot describes ('chaibox hw --json' writes one):
                    models are sized for it (simulations, tests)
  --no-auth         development only: the API answers without a token (a warning at every start);
                    /admin then answers only on this machine
  --dev             development defaults: port 8080, data dir ./.chaibox, the demo model (random
                    weights) when no model is installed, and --no-auth
${commonHelp}

Configuration keys (YAML file key, then environment variable; flags win over both):
${configHelp()}`;
}

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { host: { type: "string" }, port: { type: "string" }, "log-level": { type: "string" }, "log-format": { type: "string" }, dev: { type: "boolean" }, "no-auth": { type: "boolean" }, hardware: { type: "string" }, "no-mdns": { type: "boolean" } }, false);
  if (values.help) {
    console.log(serveHelp());
    return;
  }
  const devDefaults = values.dev ? { dataDir: process.env.CHAIBOX_DATA_DIR ?? ".chaibox", demoModel: true } : {};
  // --dev opens the API, so that README's first curl works without a token; startServer warns about it.
  const noAuth = values["no-auth"] === true || values.dev === true;
  const config = await configFrom(values, {
    ...devDefaults,
    ...(noAuth && { auth: { required: false } }),
    host: values.host,
    port: parseInteger("port", values.port),
    logLevel: values["log-level"],
    ...(values["no-mdns"] === true && { mdns: "off" }),
  });
  const format = values["log-format"] ?? "auto";
  if (format !== "auto" && format !== "json" && format !== "pretty") throw new UsageError(`--log-format must be auto, json or pretty, not '${format}'.`);
  const logger = serveLogger(config.logLevel, format);
  const service = new ServiceState(logger.child({ module: "systemd" }));
  // A first start may generate the demo model and measure model files: more than a default start timeout.
  service.extendStart(START_ALLOWANCE_MS);
  const server = await startServer(config, { logger, ...(values.hardware !== undefined && { hardwareFile: values.hardware }) });
  await service.ready(serviceFigures(server));
  const shutdown = (signal: string) => {
    server.logger.info({ signal }, "shutting down");
    service.stopping();
    server.close(DRAIN_DEADLINE_MS).then(
      () => {
        service.close();
        process.exit(0);
      },
      (error: unknown) => {
        server.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
