/**
 * `chaibox hw`: what chaibox sees of this machine (or of a saved snapshot). `--json` prints the snapshot
 * itself, which `--hardware FILE` takes back here and in `serve` and `models recommend`.
 */
import { describeHardware } from "../hardware/describe.js";
import { commonHelp, configFrom, parse } from "./args.js";
import { hardwareFor } from "./hardware-option.js";

export function hwHelp(): string {
  return `Usage: chaibox hw [--json] [--hardware FILE]

Shows the hardware chaibox runs on: the CPU and the SIMD extensions llama.cpp uses, RAM (total and
available), each GPU with its VRAM (total and free; "unified" when it shares the RAM, as on Apple
silicon, Jetson and integrated GPUs), free disk space where the models are stored, and the GPU backends
node-llama-cpp can use here (cuda, vulkan, metal; none means the CPU does the work).

Finding the GPU backend starts node-llama-cpp in a separate process, which takes a few seconds.

Options:
  --json            print the hardware snapshot as JSON; save it to simulate this machine elsewhere
  --hardware FILE   show a saved snapshot instead of this machine (serve and models recommend take
                    the same option)
${commonHelp}

Examples:
  chaibox hw
  chaibox hw --json > my-box.json
  chaibox models recommend --hardware my-box.json`;
}

export async function hwCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { json: { type: "boolean" }, hardware: { type: "string" } }, false);
  if (values.help) {
    console.log(hwHelp());
    return;
  }
  const snapshot = await hardwareFor(values.hardware, await configFrom(values));
  console.log(values.json === true ? JSON.stringify(snapshot, null, 2) : describeHardware(snapshot).join("\n"));
}
