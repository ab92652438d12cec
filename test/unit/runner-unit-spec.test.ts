/**
 * The pure parts of runners as systemd units: unit names (escaped as systemd-escape does), MemoryMax from
 * fit's estimate, the transient unit's properties, exits from ExecMainCode/Status, the runner's environment
 * and the launcher choice outside systemd.
 */
import { describe, expect, it } from "vitest";
import { ChildProcessLauncher } from "../../src/engine/native/client.js";
import { runnerEnvironment } from "../../src/engine/native/launcher/systemd-launcher.js";
import { chooseLauncher, notUnderSystemd } from "../../src/wiring/launcher.js";
import {
  MEMORY_MARGIN_MIN_BYTES,
  runnerMemoryMax,
  runnerUnitName,
  runnerUnitProperties,
  systemdEscape,
  type UnitProperty,
} from "../../src/platform/runner-unit-spec.js";
import { unitExit } from "../../src/platform/systemd-manager.js";

const MiB = 1024 * 1024;

function collectingLogger(records: { level: string; msg: string; fields: object }[]) {
  const at = (level: string) => (fields: object, msg?: string) => records.push({ level, msg: msg ?? "", fields });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("runner unit names", () => {
  it("escapes model ids as systemd-escape does", () => {
    // Expected values are systemd-escape 252's output for the same strings.
    expect(systemdEscape("chaibox-demo")).toBe("chaibox\\x2ddemo");
    expect(systemdEscape("qwen2.5-0.5b-instruct:q4_k_m")).toBe("qwen2.5\\x2d0.5b\\x2dinstruct:q4_k_m");
    expect(systemdEscape(".hidden")).toBe("\\x2ehidden");
    expect(systemdEscape("a/b c")).toBe("a-b\\x20c");
    expect(systemdEscape("café")).toBe("caf\\xc3\\xa9");
    expect(systemdEscape("x-y_z.1")).toBe("x\\x2dy_z.1");
  });

  it("names the unit chaibox-runner-<escaped id>.service, the pattern the polkit rule grants", () => {
    const name = runnerUnitName("chaibox-demo");
    expect(name).toBe("chaibox-runner-chaibox\\x2ddemo.service");
    expect(name).toMatch(/^chaibox-runner-[A-Za-z0-9_.:\\-]+\.service$/);
  });

  it("keeps over-long ids within systemd's 255 characters, unique, and never cuts an escape in two", () => {
    const a = runnerUnitName("-".repeat(100));
    const b = runnerUnitName(`${"-".repeat(99)}x`);
    expect(a.length).toBeLessThanOrEqual(255);
    expect(b.length).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^chaibox-runner-(\\x2d)+_[0-9a-f]{12}\.service$/);
  });
});

describe("runner MemoryMax", () => {
  it("adds a quarter to fit's estimate, at least 256 MiB, rounded up to a MiB", () => {
    expect(runnerMemoryMax(200 * MiB)).toBe(200 * MiB + MEMORY_MARGIN_MIN_BYTES);
    expect(runnerMemoryMax(4096 * MiB)).toBe(5120 * MiB);
    // The demo model: 231.7 MiB estimated, 256 MiB more, rounded up.
    expect(runnerMemoryMax(242_988_320)).toBe(488 * MiB);
  });

  it("sets no limit without an estimate", () => {
    expect(runnerMemoryMax(undefined)).toBeUndefined();
    expect(runnerMemoryMax(0)).toBeUndefined();
    expect(runnerMemoryMax(Number.NaN)).toBeUndefined();
  });
});

describe("runner unit properties", () => {
  const spec = {
    modelId: "chaibox-demo",
    execPath: "/usr/bin/node",
    argv: ["/usr/bin/node", "/usr/lib/chaibox/dist/src/engine/native/runner-process/main.js", "--socket", "/run/chaibox/runner-1.sock"],
    memoryMaxBytes: 512 * MiB,
    user: "chaibox",
    environment: ["NODE_ENV=production"],
  };
  const byName = (properties: UnitProperty[], name: string) => properties.filter(([key]) => key === name);

  it("runs the runner entry as the given user, limited in memory, tagged with the model in the journal", () => {
    const properties = runnerUnitProperties(spec);
    expect(byName(properties, "ExecStart")).toEqual([["ExecStart", "a(sasb)", [["/usr/bin/node", spec.argv, false]]]]);
    expect(byName(properties, "User")).toEqual([["User", "s", "chaibox"]]);
    expect(byName(properties, "MemoryMax")).toEqual([["MemoryMax", "t", BigInt(512 * MiB)]]);
    expect(byName(properties, "SyslogIdentifier")).toEqual([["SyslogIdentifier", "s", "chaibox-runner-chaibox-demo"]]);
    expect(byName(properties, "LogExtraFields")).toEqual([["LogExtraFields", "aay", [Buffer.from("CHAIBOX_MODEL=chaibox-demo")]]]);
    expect(byName(properties, "CollectMode")).toEqual([["CollectMode", "s", "inactive-or-failed"]]);
    expect(byName(properties, "Environment")).toEqual([["Environment", "as", ["NODE_ENV=production"]]]);
  });

  it("carries chaibox.service's hardening, with no capabilities and only unix sockets", () => {
    const properties = runnerUnitProperties(spec);
    expect(byName(properties, "ProtectSystem")).toEqual([["ProtectSystem", "s", "strict"]]);
    expect(byName(properties, "NoNewPrivileges")).toEqual([["NoNewPrivileges", "b", true]]);
    expect(byName(properties, "CapabilityBoundingSet")).toEqual([["CapabilityBoundingSet", "t", 0n]]);
    expect(byName(properties, "RestrictAddressFamilies")).toEqual([["RestrictAddressFamilies", "(bas)", [true, ["AF_UNIX"]]]]);
    expect(byName(properties, "SystemCallFilter")).toEqual([
      ["SystemCallFilter", "(bas)", [true, ["@system-service", "@pkey"]]],
      ["SystemCallFilter", "(bas)", [false, ["@privileged", "@resources"]]],
    ]);
    expect(byName(properties, "DevicePolicy")).toEqual([["DevicePolicy", "s", "closed"]]);
  });

  it("leaves out the user and the memory limit when there are none", () => {
    const properties = runnerUnitProperties({ ...spec, user: undefined, memoryMaxBytes: undefined });
    expect(byName(properties, "User")).toEqual([]);
    expect(byName(properties, "MemoryMax")).toEqual([]);
  });
});

describe("runner units as processes", () => {
  it("turns ExecMainCode/ExecMainStatus into an exit code or a signal", () => {
    expect(unitExit(1, 0)).toEqual({ code: 0, signal: null });
    expect(unitExit(1, 3)).toEqual({ code: 3, signal: null });
    expect(unitExit(2, 9)).toEqual({ code: null, signal: "SIGKILL" });
    expect(unitExit(3, 6)).toEqual({ code: null, signal: "SIGABRT" });
  });

  it("gives the runner chaibox's and Node's variables and the basics, nothing else, and one libuv pool thread", () => {
    const env = { CHAIBOX_RUNNER_LOG_LEVEL: "debug", NODE_ENV: "production", PATH: "/usr/bin", HOME: "/var/lib/chaibox", SECRET: "x", INVOCATION_ID: "abc", UV_THREADPOOL_SIZE: "8" };
    expect(runnerEnvironment(env).sort()).toEqual(
      ["CHAIBOX_RUNNER_LOG_LEVEL=debug", "HOME=/var/lib/chaibox", "NODE_ENV=production", "PATH=/usr/bin", "UV_THREADPOOL_SIZE=1"].sort(),
    );
  });
});

describe("launcher choice", () => {
  it("knows a systemd service's own process by $INVOCATION_ID and $SYSTEMD_EXEC_PID", () => {
    expect(notUnderSystemd({ INVOCATION_ID: "0f1e" }, 10)).toBeUndefined();
    expect(notUnderSystemd({ INVOCATION_ID: "0f1e", SYSTEMD_EXEC_PID: "10" }, 10)).toBeUndefined();
    expect(notUnderSystemd({}, 10)).toMatch(/not running as a systemd service/);
  });

  it("is not fooled by variables inherited from another service (a CI job under its runner's unit)", () => {
    expect(notUnderSystemd({ INVOCATION_ID: "0f1e", SYSTEMD_EXEC_PID: "7" }, 10)).toMatch(/SYSTEMD_EXEC_PID=7/);
  });

  it("uses child processes outside systemd, saying why in one line", async () => {
    const records: { level: string; msg: string; fields: object }[] = [];
    const choice = await chooseLauncher({ setting: "auto", runtimeDir: "/tmp/unused", logger: collectingLogger(records), env: {} });
    expect(choice.kind).toBe("process");
    expect(choice.launcher).toBeInstanceOf(ChildProcessLauncher);
    expect(records).toEqual([{ level: "info", msg: "runners start as child processes: chaibox is not running as a systemd service", fields: { launcher: "process", setting: "auto" } }]);
  });

  it("falls back to child processes with a warning when systemd is asked for but the bus is missing", async () => {
    const records: { level: string; msg: string; fields: object }[] = [];
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = "unix:path=/nonexistent/chaibox-test-bus";
    try {
      const choice = await chooseLauncher({ setting: "systemd", runtimeDir: "/tmp/unused", logger: collectingLogger(records), env: {} });
      expect(choice.kind).toBe("process");
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
    expect(records).toHaveLength(1);
    expect(records[0]?.level).toBe("warn");
    expect(records[0]?.msg).toMatch(/^runners start as child processes: systemd cannot be reached over the system D-Bus/);
  });
});
