/** System: the hardware in plain words, disk, version. */
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { bytes, duration } from "../format.js";
import type { Status } from "../types.js";

export async function systemScreen(root: HTMLElement): Promise<void> {
  const status = await get<Status>("/admin/status");
  replace(
    root,
    h("h1", {}, "System"),
    h("section", { class: "card" }, h("h2", {}, "Hardware"), h("ul", { class: "facts" }, ...status.hardware.map((line) => h("li", {}, line)))),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Box"),
      h(
        "dl",
        {},
        h("dt", {}, "Version"),
        h("dd", {}, `chaibox ${status.box.version}`),
        h("dt", {}, "Running for"),
        h("dd", {}, duration(status.box.uptime_seconds)),
        h("dt", {}, "Models stored in"),
        h("dd", {}, h("code", {}, status.disk.path)),
        h("dt", {}, "Disk"),
        h("dd", {}, `${bytes(status.disk.freeBytes)} free of ${bytes(status.disk.totalBytes)}`),
      ),
    ),
  );
}
