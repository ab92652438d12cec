/**
 * `chaibox engine build|status`: the native inference engine. `build` compiles node-llama-cpp's binding for
 * this machine (see engine/native/build.ts); chaibox-engine.service runs `build --if-needed` at install and
 * at boot (it compiles on the first boot and after an upgrade that brings another node-llama-cpp) and prints
 * its progress lines on the console. `status` says which engine new runners load.
 */
import { buildNativeEngine, builtWithCurrentOptions, relinkNativeEngine } from "../engine/native/build.js";
import { builtEngine, engineBuildNeed, engineDir, engineStatus, linkedEngine, type EngineManifest, type EngineStatus } from "../engine/native/engine-files.js";
import { commonHelp, parse, UsageError } from "./args.js";
import { jsonOutput } from "./format.js";

const help = `Usage: chaibox engine build [--if-needed] [--no-openmp] [--keep-source] [--json]
       chaibox engine status [--json]

build    compiles the inference engine (node-llama-cpp's llama.cpp binding) from the llama.cpp source
         bundled in the installation, for this machine's CPU (native flags, OpenMP), without network.
         Takes minutes (4 to 11 on a 2-core x86-64 box). It then generates a few tokens with the new
         build in a separate process: a build that crashes or does not load fails here, and runners
         keep the prebuilt binary. Runners started afterwards load it and log "engine: native";
         without it, or if it cannot load, they use the prebuilt binary.
         Prints one progress line per step and per percent compiled; the full output goes to
         build.log in the engine directory (${engineDir()}; env CHAIBOX_ENGINE_DIR).
status   prints the engine new runners load (CHAIBOX_ENGINE=prebuilt forces the prebuilt one), and a
         build that is running or failed.

Options:
  --if-needed       build only when no engine was built for this installation's node-llama-cpp (a
                    package upgrade may bring a new one) or with its build options (an upgrade may
                    change them); a build that is there but no longer linked (node-llama-cpp was
                    reinstalled) is linked again, in a second. chaibox-engine.service runs this at
                    install and boot.
  --no-openmp       build without OpenMP (llama.cpp's own thread pool)
  --keep-source     keep the extracted llama.cpp source (~200 MB) afterwards
  --json            print the result as JSON
${commonHelp}`;

export async function engineCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { "if-needed": { type: "boolean" }, "no-openmp": { type: "boolean" }, "keep-source": { type: "boolean" }, json: { type: "boolean" } });
  const [action] = positionals;
  if (values.help || action === undefined) {
    console.log(help);
    return;
  }
  if (action === "status") {
    const status = engineStatus();
    if (values.json) console.log(jsonOutput({ engine: status.engine, dir: engineDir(), native: status.native ?? null, build: status.build ?? null, unlinked: status.unlinked ?? null }, true));
    else console.log(statusText(status));
    return;
  }
  if (action !== "build") throw new UsageError(`unknown engine action '${action}'`);
  let openmp = values["no-openmp"] !== true;
  if (values["if-needed"] === true) {
    const need = engineBuildNeed(linkedEngine(), builtEngine(), (manifest) => builtWithCurrentOptions(manifest));
    const done = need === "none" ? linkedEngine() : need === "link" ? await relinkNativeEngine() : undefined;
    if (done !== undefined) {
      if (values.json) console.log(jsonOutput({ ...done, seconds: 0, reused: true }, true));
      else console.log(need === "none" ? `The ${engineText(done)} is in use: nothing to build.` : `Linked the ${engineText(done)} again; runners started from now on load it.`);
      return;
    }
    const outdated = builtEngine();
    if (outdated !== undefined && !values.json) console.log(`The ${engineText(outdated)} was made with other build options than this chaibox uses: building it again.`);
    // Rebuilt as the variant it was (the service runs without --no-openmp).
    if (outdated?.variant === "native-no-openmp") openmp = false;
  }
  const started = performance.now();
  const manifest = await buildNativeEngine({
    openmp,
    keepSource: values["keep-source"] === true,
    progress: (line) => (values.json ? undefined : console.log(line)),
  });
  const seconds = Math.round((performance.now() - started) / 1000);
  if (values.json) console.log(jsonOutput({ ...manifest, seconds }, true));
  else console.log(`Built the ${manifest.variant} engine in ${seconds} s; runners started from now on load it.`);
}

function engineText(manifest: EngineManifest): string {
  return `${manifest.variant} engine built ${manifest.builtAt}`;
}

function statusText({ native, build, unlinked }: EngineStatus): string {
  let engine = native ? `native (${native.variant}, llama.cpp ${native.llamaCppRelease}, built ${native.builtAt})` : "prebuilt";
  if (unlinked !== undefined) {
    engine += `; the ${engineText(unlinked)} is in ${engineDir()} but node-llama-cpp no longer links to it (it was reinstalled): 'chaibox engine build --if-needed' links it again`;
  }
  if (build?.state === "building") return `${engine}; a build is running since ${build.startedAt}: ${build.percent}% (${build.step})`;
  if (build?.state === "failed") return `${engine}; the last build failed: ${build.error ?? "unknown error"} (run 'chaibox engine build' again)`;
  return engine;
}
