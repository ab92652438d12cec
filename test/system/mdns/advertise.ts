/**
 * Drives one advertiser directly, for the tests of update(name) and close(): advertises `argv[2]` as the
 * box name with the responder `argv[3]`, says "started <responder>", renames the box to `argv[4]` on
 * SIGUSR1 ("updated"), and withdraws and exits 0 on SIGTERM.
 */
import pino from "pino";
import { startAdvertising, type MdnsMode } from "../../../src/platform/mdns.js";

const [name = "box", mode = "auto", renamed = "renamed box"] = process.argv.slice(2);
const logger = pino({ level: "info" }, process.stderr);
const advertiser = await startAdvertising(mode as MdnsMode, { boxId: "test-box-id", name, port: 9999, specVersion: "1.0" }, logger);
console.log(`started ${advertiser.responder}`);
process.on("SIGUSR1", () => {
  advertiser.update(renamed).then(
    () => console.log("updated"),
    (error: unknown) => console.log(`update failed: ${String(error)}`),
  );
});
process.once("SIGTERM", () => {
  void advertiser.close().then(() => process.exit(0));
});
