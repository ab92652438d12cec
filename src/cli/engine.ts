/**
 * `chaibox engine build|status`: the native inference engine. `build` compiles node-llama-cpp's binding for
 * this machine (see engine/native/build.ts); the .deb and the image run it once, at install or first boot,
 * and print its progress lines on the console. `status` says which engine new runners load.
 */
import { buildNativeEngine } from "../engine/native/build.js";
import { engineDir, engineStatus, type EngineStatus } from "../engine/native/engine-files.js";
import { commonHelp, parse, UsageError } from "./args.js";
import { jsonOutput } from "./format.js";

const help = `Usage: chaibox engine build [--no-openmp] [--keep-source] [--json]
       chaibox engine status [--json]

build    compiles the inference engine (node-llama-cpp's llama.cpp binding) from the llama.cpp source
         bundled in the installation, for this machine's CPU (native flags, OpenMP), without network.
         Takes minutes (about 11 on a 2-core x86-64 box). Runners started afterwards load it and log
         "engine: native"; without it, or if it cannot load, they use the prebuilt binary.
         Prints one progress line per step and per percent compiled; the full output goes to
         build.log in the engine directory (${engineDir()}; env CHAIBOX_ENGINE_DIR).
status   prints the engine new runners load (CHAIBOX_ENGINE=prebuilt forces the prebuilt one), and a
         build that is running or failed.

Options:
  --no-openmp       build without OpenMP (llama.cpp's own thread pool)
  --keep-source     keep the extracted llama.cpp source (~200 MB) afterwards
  --json            print the result as JSON
${commonHelp}`;

export async function engineCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { "no-openmp": { type: "boolean" }, "keep-source": { type: "boolean" }, json: { type: "boolean" } });
  const [action] = positionals;
  if (values.help || action === undefined) {
    console.log(help);
    return;
  }
  if (action === "status") {
    const status = engineStatus();
    if (values.json) console.log(jsonOutput({ engine: status.engine, dir: engineDir(), native: status.native ?? null, build: status.build ?? null }, true));
    else console.log(statusText(status));
    return;
  }
  if (action !== "build") throw new UsageError(`unknown engine action '${action}'`);
  const started = performance.now();
  const manifest = await buildNativeEngine({
    openmp: values["no-openmp"] !== true,
    keepSource: values["keep-source"] === true,
    progress: (line) => (values.json ? undefined : console.log(line)),
  });
  const seconds = Math.round((performance.now() - started) / 1000);
  if (values.json) console.log(jsonOutput({ ...manifest, seconds }, true));
  else console.log(`Built the ${manifest.variant} engine in ${seconds} s; runners started from now on load it.`);
}

function statusText({ native, build }: EngineStatus): string {
  const engine = native ? `native (${native.variant}, llama.cpp ${native.llamaCppRelease}, built ${native.builtAt})` : "prebuilt";
  if (build?.state === "building") return `${engine}; a build is running since ${build.startedAt}: ${build.percent}% (${build.step})`;
  if (build?.state === "failed") return `${engine}; the last build failed: ${build.error ?? "unknown error"} (run 'chaibox engine build' again)`;
  return engine;
}
