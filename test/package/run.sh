#!/usr/bin/env bash
# npm run test:package: the amd64 .deb in a fresh Debian 13 container under its real systemd (systemd-nspawn,
# no network: apt takes nodejs and the recommended packages from the root's apt cache, test/system/root.sh).
#   - `apt install ./chaibox_*_amd64.deb` gives an active chaibox.service that has sent READY, on port 80,
#     with the box's data owned by the chaibox user (no fix by hand);
#   - `sudo chaibox token create` gives a token that /v1/models accepts;
#   - `apt remove` stops the service and keeps /var/lib/chaibox; installing again serves the same box id;
#   - `apt purge` removes the data, the configuration and the program.
# Needs root; installs what it needs; never skips. Caches under /var/cache/chaibox-test. Usage: run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

if ! command -v systemd-nspawn >/dev/null; then
  echo "== installing systemd-container (for systemd-nspawn)"
  apt-get install -y --no-install-recommends systemd-container >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends systemd-container >/dev/null; }
fi

echo "== building the amd64 package"
deb=$(npm run --silent package -- --arch amd64 | tail -1)
[ -f "$deb" ] || fail "npm run package printed '$deb', not a file"
pass "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# What `apt install ./chaibox.deb` brings in from Debian: its Depends and Recommends (and sudo, for the owner).
root=$(CHAIBOX_TEST_DOWNLOAD="nodejs avahi-daemon libnss-mdns libvulkan1 sudo" bash test/system/root.sh)

layer=$(mktemp -d)
log=$layer/nspawn.log
nspawn_pid=
cleanup() {
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$layer"
}
trap cleanup EXIT
pkgfile=/root/$(basename "$deb")

echo "== booting $root with systemd-nspawn"
systemd-nspawn -D "$root" --volatile=overlay --register=no --keep-unit --private-network --quiet \
  "--bind-ro=$deb:$pkgfile" -b systemd.mask=systemd-networkd-wait-online.service >"$log" 2>&1 &
nspawn_pid=$!
leader=
for _ in $(seq 100); do
  for pid in $(pgrep -P "$nspawn_pid" || true); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] \
      && [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]; then leader=$pid; fi
  done
  [ -n "$leader" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$log"; fail "systemd-nspawn exited"; }
  sleep 0.1
done
[ -n "$leader" ] || fail "no container init found"
c() { nsenter -t "$leader" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# HTTP in the container's network namespace, with the host's Node: prints the body, fails on a non-2xx.
http() {
  nsenter -t "$leader" -n -- node -e '
    const [url, token] = process.argv.slice(1);
    fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10000) })
      .then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); })
      .catch((e) => { console.error(e.message); process.exit(2); });' "$@"
}
prop() { c systemctl show -P "$2" "$1"; }
state=
for _ in $(seq 300); do
  state=$(c systemctl is-system-running 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 0.3
done
case "$state" in running | degraded) pass "container booted ($state)" ;; *) tail -5 "$log"; fail "container did not boot: $state" ;; esac

apt_get() { c env DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Use-Pty=0 "$@"; }
# Active, READY sent (Type=notify: "active" only after READY=1, with the STATUS= that comes with it), port 80.
wait_serving() {
  local s=
  for _ in $(seq 600); do
    s=$(prop chaibox.service ActiveState)
    [ "$s" = active ] && break
    [ "$s" = failed ] && break
    sleep 0.2
  done
  [ "$s" = active ] || { c journalctl -u chaibox --no-pager | tail -30; fail "chaibox.service is $s after apt install"; }
  [ "$(prop chaibox.service Type)" = notify ] || fail "chaibox.service is not Type=notify"
  case "$(prop chaibox.service StatusText)" in serving*) ;; *) fail "StatusText '$(prop chaibox.service StatusText)': no READY with status" ;; esac
  for _ in $(seq 50); do http http://127.0.0.1:80/health >/dev/null 2>&1 && break; sleep 0.2; done
  http http://127.0.0.1:80/health | grep -q '"status":"ok"' || fail "/health does not answer on port 80"
}
box_id() { http http://127.0.0.1:80/.well-known/chai | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).box.id))'; }

echo "== apt install ./$(basename "$deb")"
t0=$(date +%s%N)
# No network in the container: nodejs and the recommended packages come from the root's apt cache.
(cd / && apt_get install "$pkgfile" >"$layer/apt.log" 2>&1) || { tail -30 "$layer/apt.log"; fail "apt install failed"; }
grep -q "Setting up nodejs" "$layer/apt.log" || fail "apt did not install trixie's nodejs as a dependency"
grep -q "Setting up avahi-daemon" "$layer/apt.log" || fail "apt did not install the recommended avahi-daemon"
wait_serving
pass "installed and READY on port 80 in $((($(date +%s%N) - t0) / 1000000)) ms (StatusText '$(prop chaibox.service StatusText)')"
[ "$(c systemctl is-enabled chaibox.service)" = enabled ] || fail "chaibox.service is not enabled"
[ "$(prop chaibox.service User)" = chaibox ] || fail "chaibox.service runs as '$(prop chaibox.service User)'"
c test -f /etc/chaibox/config.yaml || fail "no /etc/chaibox/config.yaml"
c dpkg-query --control-show chaibox conffiles | grep -q /etc/chaibox/config.yaml || fail "config.yaml is not a conffile"
# It may hold providers' keys: root and the service's group only.
mode=$(c stat -c '%a %U:%G' /etc/chaibox/config.yaml)
[ "$mode" = "640 root:chaibox" ] || fail "/etc/chaibox/config.yaml is $mode, expected 640 root:chaibox"
pass "enabled, runs as chaibox, /etc/chaibox/config.yaml is a conffile (640 root:chaibox)"

echo "== the engine's one-time build for this CPU: enabled, started by the install, skipped without a compiler"
[ "$(c systemctl is-enabled chaibox-engine.service)" = enabled ] || fail "chaibox-engine.service is not enabled"
# The container has no cmake or g++: the install started the unit, and its conditions skipped it.
[ -n "$(prop chaibox-engine.service ConditionTimestamp)" ] || fail "chaibox-engine.service was not started by the install"
[ "$(prop chaibox-engine.service ConditionResult)" = no ] || fail "chaibox-engine.service ran without a compiler"
engine=$(c chaibox engine status)
case "$engine" in prebuilt*) ;; *) fail "chaibox engine status says '$engine' (expected the prebuilt engine)" ;; esac
pass "chaibox-engine.service enabled and skipped (no compiler); the prebuilt engine serves"
id1=$(box_id)
[ -n "$id1" ] || fail "no box id"

# The owner's sudo (from the root's apt cache too).
apt_get install sudo >"$layer/apt.log" 2>&1 || { tail -20 "$layer/apt.log"; fail "apt install sudo failed"; }

echo "== the console shows the setup code (agetty's issue files), written by the root-run console unit"
issue=
for _ in $(seq 100); do
  issue=$(c cat /run/issue.d/50-chaibox.issue 2>/dev/null || true)
  case "$issue" in *"Setup code: "*) break ;; esac
  sleep 0.2
done
code=$(printf '%s\n' "$issue" | sed -n 's/^Setup code: //p')
[ -n "$code" ] || { c systemctl status chaibox-console.path chaibox-console.service --no-pager || true; fail "no setup code in /run/issue.d/50-chaibox.issue"; }
c sudo chaibox setup-code | grep -qF "$code" || fail "the console's setup code $code is not the box's ('$(c sudo chaibox setup-code)')"
# The container's host name (nspawn names it after its root), as avahi-daemon holds it.
host=$(c hostname)
printf '%s\n' "$issue" | grep -q "http://$host.local" || fail "the console text does not name http://$host.local: $issue"
printf '%s\n' "$issue" | grep -q "▄" || fail "the console text has no QR code"
pass "the console shows setup code $code, http://$host.local and a QR code"

echo "== sudo chaibox token create, as the owner would"
c useradd --create-home --groups sudo owner
# No terminal to type the owner's password in: sudo without one for this user.
c sh -c 'echo "owner ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/owner && chmod 440 /etc/sudoers.d/owner'
token=$(c runuser -u owner -- env HOME=/home/owner sudo -n chaibox token create --name x 2>"$layer/token.err" | head -1) \
  || { cat "$layer/token.err"; fail "sudo chaibox token create failed"; }
case "$token" in chai_*) ;; *) cat "$layer/token.err"; fail "no token printed: '$token'" ;; esac
http http://127.0.0.1:80/v1/models "$token" | grep -q '"object":"list"' || fail "/v1/models refused the new token"
if http http://127.0.0.1:80/v1/models chai_not_a_token >/dev/null 2>&1; then fail "/v1/models accepted a made-up token"; fi
stray=$(c find /var/lib/chaibox ! -user chaibox)
[ -z "$stray" ] || fail "files in /var/lib/chaibox not owned by chaibox: $stray"
pass "the token works against /v1/models; everything in /var/lib/chaibox still belongs to chaibox"

echo "== apt remove keeps the data"
apt_get remove chaibox >"$layer/apt.log" 2>&1 || { tail -20 "$layer/apt.log"; fail "apt remove failed"; }
[ "$(prop chaibox.service ActiveState)" = inactive ] || fail "chaibox.service is $(prop chaibox.service ActiveState) after remove"
if http http://127.0.0.1:80/health >/dev/null 2>&1; then fail "something still answers on port 80 after remove"; fi
c test -f /var/lib/chaibox/state.db || fail "/var/lib/chaibox/state.db is gone after remove"
c test ! -e /usr/lib/chaibox/dist || fail "/usr/lib/chaibox is still there after remove"
pass "stopped, program gone, /var/lib/chaibox kept"

echo "== installing again serves the same box"
apt_get install "$pkgfile" >"$layer/apt.log" 2>&1 || { tail -20 "$layer/apt.log"; fail "apt install (again) failed"; }
wait_serving
id2=$(box_id)
[ "$id1" = "$id2" ] || fail "box id $id2 after reinstalling, was $id1"
http http://127.0.0.1:80/v1/models "$token" >/dev/null || fail "the token does not work after reinstalling"
pass "same box id $id2, the token still works"

echo "== installing the same version over itself restarts the service (the upgrade path)"
pid_before=$(prop chaibox.service MainPID)
apt_get install --reinstall "$pkgfile" >"$layer/apt.log" 2>&1 || { tail -20 "$layer/apt.log"; fail "apt reinstall failed"; }
wait_serving
[ "$(prop chaibox.service MainPID)" != "$pid_before" ] || fail "the service was not restarted by the upgrade"
[ "$(box_id)" = "$id1" ] || fail "the box id changed on upgrade"
pass "restarted (pid $pid_before → $(prop chaibox.service MainPID)), same box"

echo "== apt purge removes everything"
apt_get purge chaibox >"$layer/apt.log" 2>&1 || { tail -20 "$layer/apt.log"; fail "apt purge failed"; }
for path in /var/lib/chaibox /var/cache/chaibox /etc/chaibox /usr/lib/chaibox /usr/bin/chaibox; do
  c test ! -e "$path" || fail "$path is still there after purge"
done
[ "$(prop chaibox.service LoadState)" = not-found ] || fail "chaibox.service is still known: $(prop chaibox.service LoadState)"
c test ! -e /etc/systemd/system/multi-user.target.wants/chaibox.service || fail "the enablement link is left"
c test ! -e /etc/systemd/system/multi-user.target.wants/chaibox-engine.service || fail "the engine unit's enablement link is left"
pass "purged: data, configuration, program and unit gone"

echo "== package test passed in $(($(date +%s) - started)) s"
