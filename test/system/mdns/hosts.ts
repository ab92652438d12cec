/**
 * Two "hosts" for the mDNS system tests: network namespaces joined by a veth pair, each with its own system
 * D-Bus and, when asked, its own avahi-daemon (in a private mount namespace: the daemon's pidfile path is
 * fixed). Everything runs as root and is removed by `removeHosts()`, or by run.sh's trap after a crash.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A daemon or chaibox process with its output collected. */
export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal's name) once it has ended. */
  exited: Promise<number | string>;
}

export function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

/** Waits until `check` returns a value (not undefined/false), polling; throws with `what` after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await sleep(250);
  }
}

export class Host {
  readonly dir: string;
  readonly busAddress: string;
  private bus: Proc | undefined;
  avahi: Proc | undefined;

  constructor(
    readonly ns: string,
    readonly iface: string,
    readonly address: string,
    workDir: string,
  ) {
    this.dir = join(workDir, ns);
    this.busAddress = `unix:path=${join(this.dir, "system_bus_socket")}`;
  }

  /** The environment that points D-Bus clients (avahi-browse, chaibox) at this host's bus. */
  get env(): NodeJS.ProcessEnv {
    return { DBUS_SYSTEM_BUS_ADDRESS: this.busAddress };
  }

  /** Starts the host's own system bus (Debian's policy, Avahi's included; run as root, a private socket). */
  async startBus(): Promise<void> {
    await mkdir(join(this.dir, "avahi-run"), { recursive: true });
    const conf = (await readFile("/usr/share/dbus-1/system.conf", "utf8"))
      .replace(/<user>[^<]*<\/user>/, "")
      .replace(/<pidfile>[^<]*<\/pidfile>/, "")
      .replace(/<listen>[^<]*<\/listen>/, `<listen>${this.busAddress}</listen>`)
      .replace("<includedir>system.d</includedir>", "<includedir>/usr/share/dbus-1/system.d</includedir>");
    await writeFile(join(this.dir, "bus.conf"), conf);
    // In the namespace too, so that run.sh's trap finds it with `ip netns pids` after a crash.
    this.bus = this.spawn("dbus-daemon", [`--config-file=${join(this.dir, "bus.conf")}`, "--nofork", "--nopidfile"]);
    await until("the D-Bus socket", () => run("dbus-send", ["--system", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.GetId"], { env: { ...process.env, ...this.env } }).then(() => true));
  }

  /**
   * Starts avahi-daemon on this host's veth only, IPv4, registered on this host's bus, with the host name
   * `hostName` (default: the namespace's name; another host's name makes a host name collision).
   */
  async startAvahi(hostName = this.ns): Promise<void> {
    const conf = [
      "[server]",
      `host-name=${hostName}`,
      "use-ipv4=yes",
      "use-ipv6=no",
      `allow-interfaces=${this.iface}`,
      "enable-dbus=yes",
      "ratelimit-interval-usec=1000000",
      "ratelimit-burst=1000",
      "[wide-area]",
      "enable-wide-area=no",
      "[publish]",
      "publish-hinfo=no",
      "publish-workstation=no",
      "",
    ].join("\n");
    await writeFile(join(this.dir, "avahi.conf"), conf);
    const script = `mkdir -p /run/avahi-daemon && mount --bind ${join(this.dir, "avahi-run")} /run/avahi-daemon && exec avahi-daemon -f ${join(this.dir, "avahi.conf")} --no-chroot --no-drop-root --no-rlimits`;
    const avahi = start("ip", ["netns", "exec", this.ns, "unshare", "-m", "--propagation", "private", "sh", "-c", script], this.env);
    this.avahi = avahi;
    await until("avahi-daemon to start", () => {
      if (avahi.child.exitCode !== null) throw new Error(`avahi-daemon exited: ${avahi.output()}`);
      return avahi.output().includes("Server startup complete");
    });
  }

  /** Stops avahi-daemon (SIGTERM: it sends goodbye packets for what it published). */
  async stopAvahi(): Promise<void> {
    const avahi = this.avahi;
    if (!avahi) return;
    this.avahi = undefined;
    avahi.child.kill("SIGTERM");
    await avahi.exited;
  }

  /** Runs a command inside this host's namespace, with its bus, to completion. */
  async exec(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const { stdout } = await run("ip", ["netns", "exec", this.ns, command, ...args], { env: { ...process.env, ...this.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  /** Starts a long-running command inside this host's namespace, with its bus. */
  spawn(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    return start("ip", ["netns", "exec", this.ns, command, ...args], { ...this.env, ...env });
  }

  async stop(): Promise<void> {
    await this.stopAvahi();
    this.bus?.child.kill("SIGTERM");
    if (this.bus) await this.bus.exited;
    this.bus = undefined;
  }
}

/** Two namespaces `<tag>-a` and `<tag>-b` joined by a veth pair, 10.231.0.1 and 10.231.0.2. */
export async function createHosts(tag: string, workDir: string): Promise<[Host, Host]> {
  const a = new Host(`${tag}-a`, "veth0", "10.231.0.1", workDir);
  const b = new Host(`${tag}-b`, "veth1", "10.231.0.2", workDir);
  await removeHosts(tag);
  for (const host of [a, b]) await run("ip", ["netns", "add", host.ns]);
  await run("ip", ["link", "add", `${tag}-va`, "type", "veth", "peer", "name", `${tag}-vb`]);
  for (const [host, link] of [
    [a, `${tag}-va`],
    [b, `${tag}-vb`],
  ] as const) {
    await run("ip", ["link", "set", link, "netns", host.ns]);
    await host.exec("ip", ["link", "set", link, "name", host.iface]);
    await host.exec("ip", ["addr", "add", `${host.address}/24`, "dev", host.iface]);
    await host.exec("ip", ["link", "set", host.iface, "up"]);
    await host.exec("ip", ["link", "set", "lo", "up"]);
    // As on a LAN: a default route, which a socket without a chosen multicast interface sends through.
    await host.exec("ip", ["route", "add", "default", "dev", host.iface]);
    await host.startBus();
  }
  return [a, b];
}

/** Deletes the namespaces (their veth goes with them). */
export async function removeHosts(tag: string): Promise<void> {
  for (const ns of [`${tag}-a`, `${tag}-b`]) await run("ip", ["netns", "del", ns]).catch(() => undefined);
}
