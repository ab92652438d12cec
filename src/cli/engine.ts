/**
 * `chaibox engine build|status`: the native inference engine. `build` compiles node-llama-cpp's binding for
 * this machine (see engine/native/build.ts); the .deb and the image run it once, at install or first boot,
 * and print its progress lines on the console. `status` says which engine new runners load.
 */
import { buildNativeEngine } from "../engine/native/build.js";
import { engineDir, nativeEngine } from "../engine/native/engine-files.js";
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
status   prints the engine new runners load (CHAIBOX_ENGINE=prebuilt forces the prebuilt one).

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
    const engine = nativeEngine();
    if (values.json) console.log(jsonOutput({ engine: engine ? "native" : "prebuilt", dir: engineDir(), native: engine ?? null }, true));
    else console.log(engine ? `native (${engine.variant}, llama.cpp ${engine.llamaCppRelease}, built ${engine.builtAt})` : "prebuilt");
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
