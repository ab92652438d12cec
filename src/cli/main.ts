#!/usr/bin/env node
/** The `chaibox` command: argv → subcommand. Failures print one line and exit non-zero. */
import { ConfigError } from "../config/load.js";
import { ChaiboxError } from "../errors.js";
import { version } from "../version.js";
import { UsageError } from "./args.js";

/**
 * The commands, each loaded only when it runs: `serve` is a long-lived process on a small box, and the
 * other commands' modules (the conformance suite, the benchmark, the model generator) would only add to its
 * memory.
 */
const commands: Record<string, { run: (args: string[]) => Promise<void>; summary: string }> = {
  serve: { run: async (args) => (await import("./serve.js")).serveCommand(args), summary: "serve the API and the installed models" },
  models: { run: async (args) => (await import("./models.js")).modelsCommand(args), summary: "list, pull, add and remove installed models" },
  hw: { run: async (args) => (await import("./hw.js")).hwCommand(args), summary: "show the hardware: CPU, RAM, GPUs, disk and GPU backends" },
  token: { run: async (args) => (await import("./token.js")).tokenCommand(args), summary: "create, list and revoke app tokens (bearer tokens for apps and scripts)" },
  "setup-code": { run: async (args) => (await import("./setup-code.js")).setupCodeCommand(args), summary: "print the setup code the first-run page asks for" },
  discover: { run: async (args) => (await import("./discover.js")).discoverCommand(args), summary: "list the Chai servers on the local network (mDNS)" },
  conformance: { run: async (args) => (await import("./conformance.js")).conformanceCommand(args), summary: "score a server (this one or any other) against the Chai specification" },
  bench: { run: async (args) => (await import("./bench.js")).benchCommand(args), summary: "measure a model's speed on this box (shown in /v1/models)" },
  engine: { run: async (args) => (await import("./engine.js")).engineCommand(args), summary: "build the native inference engine for this CPU, or show which one runs" },
  "make-test-model": { run: async (args) => (await import("./make-test-model.js")).makeTestModelCommand(args), summary: "write a small GGUF model with random weights (tests, benchmarks)" },
};

function mainHelp(): string {
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(18)}${c.summary}`)
    .join("\n");
  return `chaibox ${version} — the home AI box: local LLMs served over the Chai/OpenAI API.

Usage: chaibox <command> [options]

Commands:
${list}

Run 'chaibox <command> --help' for a command's options.
Quick start: chaibox serve --dev, then open http://localhost:8080/v1/models`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return;
  }
  if (name === "--version" || name === "-v") {
    console.log(version);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'`);
  running = name;
  await command.run(args);
}

/** The subcommand being run, so a wrong argument points to its own --help. */
let running: string | undefined;

// `chaibox models list --json | head`: the reader went away; that is the end, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`chaibox: ${error.message} (see 'chaibox ${running === undefined ? "" : `${running} `}--help')`);
    process.exit(2);
  }
  if (error instanceof ConfigError) console.error(`chaibox: ${error.message}`);
  else if (error instanceof ChaiboxError) console.error(`chaibox: ${error.message}`);
  else if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) {
    // A system error (EACCES, ENOSPC, EADDRINUSE…): its message already names the path or port.
    console.error(`chaibox: ${error.message}`);
  } else if (error instanceof Error && process.env.CHAIBOX_DEBUG === undefined) {
    // A message, not a stack trace (a bad catalog file, a snapshot that is not one); CHAIBOX_DEBUG=1 shows it.
    console.error(`chaibox: ${error.message}`);
  } else console.error("chaibox:", error);
  process.exit(1);
});
