/**
 * The transient systemd unit a runner runs in: its name (`chaibox-runner-<model>.service`, the model id
 * escaped as `systemd-escape` does), its memory limit from fit's estimate, and its properties for
 * `StartTransientUnit` — the same hardening as chaibox.service. Pure: the D-Bus side is systemd-manager.ts.
 */
import { createHash } from "node:crypto";

/** Prefix of every runner unit; the polkit rule lets the chaibox user manage exactly these. */
export const RUNNER_UNIT_PREFIX = "chaibox-runner-";
/** systemd's limit on a unit name (UNIT_NAME_MAX). */
const UNIT_NAME_MAX = 255;
const SUFFIX = ".service";

/**
 * Escapes a string for a unit name like `systemd-escape`: `/` becomes `-`; ASCII letters, digits, `:`,
 * `_` and `.` (but not a leading `.`) stay; every other byte becomes `\xNN`.
 */
export function systemdEscape(value: string): string {
  let out = "";
  const bytes = Buffer.from(value, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    const char = String.fromCharCode(byte);
    if (char === "/") out += "-";
    else if (/^[A-Za-z0-9:_]$/.test(char) || (char === "." && i > 0)) out += char;
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/**
 * The unit name of a model's runner: `chaibox-runner-<escaped id>.service`. An id too long for a unit name
 * keeps a prefix of its escaped form (never cutting an `\xNN` in two) and gains a hash of the whole id, so
 * names stay unique.
 */
export function runnerUnitName(modelId: string): string {
  const escaped = systemdEscape(modelId);
  const room = UNIT_NAME_MAX - RUNNER_UNIT_PREFIX.length - SUFFIX.length;
  if (escaped.length <= room) return `${RUNNER_UNIT_PREFIX}${escaped}${SUFFIX}`;
  const hash = createHash("sha256").update(modelId).digest("hex").slice(0, 12);
  let head = escaped.slice(0, room - hash.length - 1);
  // An escape sequence is 4 characters: drop a partial one at the end.
  const partial = head.lastIndexOf("\\");
  if (partial >= 0 && head.length - partial < 4) head = head.slice(0, partial);
  return `${RUNNER_UNIT_PREFIX}${head}_${hash}${SUFFIX}`;
}

const MiB = 1024 * 1024;
/** Headroom over fit's estimate before the kernel ends a runner: a quarter more, at least this (256 MiB). */
export const MEMORY_MARGIN_MIN_BYTES = 256 * MiB;

/**
 * `MemoryMax` for a runner whose RAM fit estimated (model, context and runner overhead): the estimate plus a
 * quarter, at least {@link MEMORY_MARGIN_MIN_BYTES} more, rounded up to a MiB. Undefined (no limit) when there
 * is no estimate.
 */
export function runnerMemoryMax(estimatedRamBytes: number | undefined): number | undefined {
  if (estimatedRamBytes === undefined || !Number.isFinite(estimatedRamBytes) || estimatedRamBytes <= 0) return undefined;
  const limit = estimatedRamBytes + Math.max(estimatedRamBytes / 4, MEMORY_MARGIN_MIN_BYTES);
  return Math.ceil(limit / MiB) * MiB;
}

/** One property of a transient unit: name, D-Bus signature and value, as `StartTransientUnit` takes them. */
export type UnitProperty = readonly [name: string, signature: string, value: unknown];

export interface RunnerUnitSpec {
  modelId: string;
  /** The executable (absolute) and its full argv, argv[0] included. */
  execPath: string;
  argv: string[];
  /** `MemoryMax` in bytes; none when undefined. */
  memoryMaxBytes: number | undefined;
  /** The user and group the runner runs as; systemd's default (root) when undefined. */
  user?: string;
  group?: string;
  /** `KEY=value` entries of the runner's environment. */
  environment: string[];
  /** How long systemd waits after SIGTERM before SIGKILL, in ms (default 5 s). */
  stopTimeoutMs?: number;
}

/** The syslog identifier of a runner's journal lines: the unit prefix and the model id, e.g. `chaibox-runner-qwen`. */
export function runnerSyslogIdentifier(modelId: string): string {
  return `${RUNNER_UNIT_PREFIX}${modelId}`;
}

/**
 * chaibox.service's hardening, for a runner: no capabilities at all, and the same file system, kernel, system
 * call and device restrictions (the GPU device nodes stay reachable).
 */
function hardening(): UnitProperty[] {
  const deviceAllow: [string, string][] = [
    ["/dev/nvidiactl", "rw"],
    ["/dev/nvidia-uvm", "rw"],
    ["/dev/nvidia-uvm-tools", "rw"],
    ["char-nvidia-frontend", "rw"],
    ["char-drm", "rw"],
    ["/dev/kfd", "rw"],
  ];
  return [
    ["NoNewPrivileges", "b", true],
    ["CapabilityBoundingSet", "t", 0n],
    ["AmbientCapabilities", "t", 0n],
    ["ProtectSystem", "s", "strict"],
    ["ProtectHome", "s", "yes"],
    ["PrivateTmp", "b", true],
    ["PrivateNetwork", "b", true],
    ["ProtectKernelTunables", "b", true],
    ["ProtectKernelModules", "b", true],
    ["ProtectKernelLogs", "b", true],
    ["ProtectControlGroups", "b", true],
    ["ProtectClock", "b", true],
    ["ProtectHostname", "b", true],
    ["ProtectProc", "s", "invisible"],
    // Every namespace type restricted, as RestrictNamespaces=yes.
    ["RestrictNamespaces", "t", 0n],
    ["RestrictRealtime", "b", true],
    ["RestrictSUIDSGID", "b", true],
    ["LockPersonality", "b", true],
    ["RemoveIPC", "b", true],
    ["UMask", "u", 0o027],
    // The runner only needs the unix socket back to the API process.
    ["RestrictAddressFamilies", "(bas)", [true, ["AF_UNIX"]]],
    ["SystemCallArchitectures", "as", ["native"]],
    // @pkey: Node 20 calls pkey_alloc at start, which @system-service alone kills with SIGSYS.
    ["SystemCallFilter", "(bas)", [true, ["@system-service", "@pkey"]]],
    ["SystemCallFilter", "(bas)", [false, ["@privileged", "@resources"]]],
    ["SystemCallErrorNumber", "i", 1 /* EPERM */],
    ["DevicePolicy", "s", "closed"],
    ["DeviceAllow", "a(ss)", deviceAllow],
  ];
}

/** The properties of a runner's transient service: what runs, as whom, its limits, journal tags and hardening. */
export function runnerUnitProperties(spec: RunnerUnitSpec): UnitProperty[] {
  const properties: UnitProperty[] = [
    ["Description", "s", `chaibox runner for model ${spec.modelId}`],
    ["Type", "s", "exec"],
    ["ExecStart", "a(sasb)", [[spec.execPath, spec.argv, false]]],
    ["Environment", "as", spec.environment],
    // Gone from systemd's memory as soon as it ends, so the next load of the model can reuse the name.
    ["CollectMode", "s", "inactive-or-failed"],
    ["TimeoutStopUSec", "t", BigInt(Math.round((spec.stopTimeoutMs ?? 5_000) * 1000))],
    ["SyslogIdentifier", "s", runnerSyslogIdentifier(spec.modelId)],
    ["LogExtraFields", "aay", [Buffer.from(`CHAIBOX_MODEL=${spec.modelId}`)]],
  ];
  if (spec.user !== undefined) properties.push(["User", "s", spec.user]);
  if (spec.group !== undefined) properties.push(["Group", "s", spec.group]);
  if (spec.memoryMaxBytes !== undefined) {
    properties.push(["MemoryMax", "t", BigInt(spec.memoryMaxBytes)]);
    // Past the limit the kernel kills the runner rather than pushing it (and the box) into swap.
    properties.push(["MemorySwapMax", "t", 0n]);
  }
  return [...properties, ...hardening()];
}
