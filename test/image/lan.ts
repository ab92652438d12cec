/**
 * A home LAN for the image test, inside the test's own network namespace: a bridge with a DHCP server
 * (dnsmasq) that the VM joins through a tap interface, and a second "computer" (network namespace `<tag>-b`,
 * with its own D-Bus and avahi-daemon, from the mDNS tests' helpers) on a veth in the same bridge.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Host, start, until, type Proc } from "../system/mdns/hosts.js";
import type { Vm } from "./vm.js";

const run = promisify(execFile);
const ip = (...args: string[]) => run("ip", args);

export const LAN_GATEWAY = "10.232.0.1";

export class Lan {
  readonly tap: string;
  readonly computer: Host;
  private dhcp: Proc | undefined;
  private readonly leases: string;

  constructor(
    readonly tag: string,
    private readonly dir: string,
  ) {
    this.tap = `${tag}-tap`;
    this.computer = new Host(`${tag}-b`, "eth0", "10.232.0.2", dir);
    this.leases = join(dir, "dnsmasq.leases");
  }

  /** The bridge, the tap (for qemu's -netdev tap), the computer on its veth, and DHCP on the bridge. */
  async create(): Promise<void> {
    const br = `${this.tag}-br`;
    await ip("link", "add", br, "type", "bridge");
    await ip("addr", "add", `${LAN_GATEWAY}/24`, "dev", br);
    await ip("link", "set", br, "up");
    await ip("tuntap", "add", this.tap, "mode", "tap");
    await ip("link", "set", this.tap, "master", br, "up");
    await run("ip", ["netns", "add", this.computer.ns]);
    await ip("link", "add", `${this.tag}-vb`, "type", "veth", "peer", "name", `${this.tag}-vc`);
    await ip("link", "set", `${this.tag}-vb`, "master", br, "up");
    await ip("link", "set", `${this.tag}-vc`, "netns", this.computer.ns);
    const c = (...args: string[]) => this.computer.exec("ip", args);
    await c("link", "set", `${this.tag}-vc`, "name", this.computer.iface);
    await c("addr", "add", `${this.computer.address}/24`, "dev", this.computer.iface);
    await c("link", "set", this.computer.iface, "up");
    await c("link", "set", "lo", "up");
    await c("route", "add", "default", "via", LAN_GATEWAY);
    // DHCP only (port=0: no DNS), as a home router would hand out addresses.
    this.dhcp = start("dnsmasq", ["--no-daemon", "--port=0", "--user=root", `--interface=${br}`, "--bind-interfaces",
      "--dhcp-range=10.232.0.100,10.232.0.150,1h", `--dhcp-leasefile=${this.leases}`, "--no-resolv", "--no-hosts", "--log-dhcp"]);
    await until("dnsmasq to listen", () => {
      if (this.dhcp?.child.exitCode !== null) throw new Error(`dnsmasq exited: ${this.dhcp?.output()}`);
      return this.dhcp.output().includes("DHCP, IP range");
    });
    await this.computer.startBus();
    await this.computer.startAvahi();
  }

  /**
   * The address dnsmasq leased to `vm`, once it has one; gives up `ms` after the machine's power-on, or as
   * soon as qemu or dnsmasq is no longer running, with what dnsmasq and the serial console show.
   */
  async leasedAddress(vm: Vm, ms: number): Promise<{ address: string; ms: number }> {
    const deadline = vm.startedAt + ms;
    for (;;) {
      const leases = await readFile(this.leases, "utf8").catch(() => "");
      const address = leases.split("\n").map((line) => line.split(" ")[2]).find((candidate) => candidate?.startsWith("10.232.0."));
      if (address !== undefined) return { address, ms: Date.now() - vm.startedAt };
      const dhcpExit = this.dhcp?.child.exitCode ?? this.dhcp?.child.signalCode ?? undefined;
      const stopped = vm.stopped() ?? (dhcpExit === undefined ? undefined : `dnsmasq exited (${dhcpExit})`);
      if (stopped !== undefined || Date.now() > deadline) {
        const why = stopped ?? `no DHCP lease for the VM within ${ms} ms of power-on`;
        throw new Error(`${why}\ndnsmasq's log:\n${this.dhcp?.output().slice(-3000)}\nthe serial console's end:\n${(await vm.serial()).slice(-4000)}`);
      }
      await sleep(250);
    }
  }

  async dispose(): Promise<void> {
    await this.computer.stop().catch(() => undefined);
    this.dhcp?.child.kill("SIGTERM");
    if (this.dhcp) await this.dhcp.exited;
    await run("ip", ["netns", "del", this.computer.ns]).catch(() => undefined);
    await ip("link", "del", this.tap).catch(() => undefined);
    await ip("link", "del", `${this.tag}-br`).catch(() => undefined);
  }
}
