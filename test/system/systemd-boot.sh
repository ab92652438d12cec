#!/usr/bin/env bash
# chaibox under a real systemd: boots a Debian root (test/system/root.sh, cached) with systemd-nspawn, with this
# checkout's build and system/ files bound in read-only, and checks that
#   - chaibox.service is active only after READY (after "chaibox is serving"),
#   - a chat request starts the model's runner as a chaibox-runner-* unit with MemoryMax set, as the chaibox
#     user, hardened and tagged with the model in the journal; unloading stops it,
#   - withholding the watchdog pings (the test-only hook) gets the service killed and restarted,
#   - systemctl stop drains and exits cleanly.
# Needs root. Installs what it needs; never skips. Usage: systemd-boot.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

if ! command -v systemd-nspawn >/dev/null; then
  echo "== installing systemd-container (for systemd-nspawn)"
  apt-get install -y --no-install-recommends systemd-container >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends systemd-container >/dev/null; }
fi
root=$(bash test/system/root.sh)

echo "== building chaibox"
npx tsc -p tsconfig.build.json

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

# /usr/bin/chaibox as a package installs it; the build under /usr/lib/chaibox.
cat >"$layer/chaibox" <<'EOF'
#!/bin/sh
exec /usr/bin/node /usr/lib/chaibox/dist/src/cli/main.js "$@"
EOF
chmod 755 "$layer/chaibox"
# A drop-in for this test only: the watchdog hook, and a short watchdog so that its timeout comes quickly.
cat >"$layer/test.conf" <<'EOF'
[Service]
Environment=CHAIBOX_TEST_WATCHDOG_HOOK=1
WatchdogSec=6
EOF

binds=(
  "--bind-ro=$(readlink -f /usr/bin/node):/usr/bin/node"
  "--bind-ro=$layer/chaibox:/usr/bin/chaibox"
  "--bind-ro=$repo/dist:/usr/lib/chaibox/dist"
  "--bind-ro=$repo/config:/usr/lib/chaibox/config"
  "--bind-ro=$repo/package.json:/usr/lib/chaibox/package.json"
  "--bind-ro=$(readlink -f node_modules):/usr/lib/chaibox/node_modules"
  "--bind-ro=$layer/test.conf:/etc/systemd/system/chaibox.service.d/test.conf"
)
for file in usr/lib/systemd/system/chaibox.service usr/lib/sysusers.d/chaibox.conf usr/lib/tmpfiles.d/chaibox.conf \
  usr/share/polkit-1/rules.d/50-chaibox.rules etc/chaibox/config.yaml; do
  binds+=("--bind-ro=$repo/system/$file:/$file")
done

echo "== booting $root with systemd-nspawn"
systemd-nspawn -D "$root" --volatile=overlay --register=no --keep-unit --private-network --quiet "${binds[@]}" \
  -b systemd.mask=systemd-networkd-wait-online.service >"$log" 2>&1 &
nspawn_pid=$!

# The container's init: systemd below nspawn in another PID namespace (nspawn's short-lived helper children
# come and go before it).
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
# A command in the container, with the container's own plain environment rather than this shell's.
c() { nsenter -t "$leader" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# HTTP from the container's network namespace, with the host's Node (the root has no HTTP client).
http() {
  TOKEN=$token nsenter -t "$leader" -n -- node -e '
    const [method, url, body] = process.argv.slice(1);
    fetch(url, { method, headers: { "content-type": "application/json", authorization: `Bearer ${process.env.TOKEN}` }, ...(body && { body }) })
      .then(async (r) => { for await (const chunk of r.body) process.stdout.write(chunk); process.exit(r.ok ? 0 : 1); })
      .catch((e) => { console.error(e.message); process.exit(2); });' "$@"
}
prop() { c systemctl show -P "$2" "$1"; }
# grep -q would stop reading at the first match, and under pipefail journalctl's SIGPIPE fails the pipeline.
has() { grep -c -- "$1" >/dev/null; }

# is-system-running cannot connect until the container's manager listens: ask again until it answers.
state=
for _ in $(seq 300); do
  state=$(c systemctl is-system-running 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 0.3
done
case "$state" in running | degraded) pass "container booted ($state)" ;; *) tail -5 "$log"; c systemctl is-system-running || true; fail "container did not boot: $state" ;; esac
c id chaibox >/dev/null || fail "systemd-sysusers did not create the chaibox user"
# A model with the installed CLI: the tiny test model, whose replies never end before max_tokens.
c chaibox make-test-model --preset tiny --out /var/lib/chaibox/tiny.gguf >/dev/null
c env CHAIBOX_DATA_DIR=/var/lib/chaibox chaibox models add /var/lib/chaibox/tiny.gguf --id tiny >/dev/null
# The API needs a token: one made with the installed CLI, as an owner would for a script.
token=$(c env CHAIBOX_DATA_DIR=/var/lib/chaibox chaibox token create --name boot-test | head -1)
case "$token" in chai_*) ;; *) fail "chaibox token create printed no token: $token" ;; esac
c chown -R chaibox:chaibox /var/lib/chaibox
pass "the tiny model installed and a token made with the chaibox CLI"

echo "== start: active only after READY"
c systemctl start --no-block chaibox.service
for _ in $(seq 600); do
  s=$(prop chaibox.service ActiveState)
  [ "$s" = active ] && break
  { [ "$s" = failed ] || [ "$(prop chaibox.service NRestarts)" != 0 ]; } && { c journalctl -u chaibox --no-pager | tail -30; fail "chaibox.service failed to start"; }
  sleep 0.2
done
[ "$s" = active ] || { c journalctl -u chaibox --no-pager | tail -30; fail "chaibox.service not active after 120 s ($s)"; }
# READY=1 comes with the first STATUS= ("serving; …"), after listening; the unit went active only after it
# (with Type=simple it would be active at exec, long before "chaibox is serving").
status=$(prop chaibox.service StatusText)
case "$status" in serving*) ;; *) fail "StatusText is '$status', not the status sent with READY" ;; esac
serving_us=$(c journalctl -u chaibox.service -o json --no-pager | node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const line = lines.find((l) => typeof l.MESSAGE === "string" && l.MESSAGE.includes("\"chaibox is serving\""));
  console.log(line ? line.__MONOTONIC_TIMESTAMP : "");')
active_us=$(prop chaibox.service ActiveEnterTimestampMonotonic)
[ -n "$serving_us" ] || fail "no 'chaibox is serving' line in the journal"
[ "$serving_us" -lt "$active_us" ] || fail "active at $active_us µs, before serving at $serving_us µs"
http GET http://127.0.0.1/health >/dev/null || fail "/health does not answer once active"
pass "activating until READY (serving at ${serving_us} µs, active at ${active_us} µs, status '$status')"
c journalctl -u chaibox.service --no-pager | has "runners start as transient systemd units" \
  || { c journalctl -u chaibox.service --no-pager | grep -i runner | tail -5; fail "the launcher choice was not logged as systemd"; }
pass "the launcher choice is logged once: transient systemd units"

chat() {
  http POST http://127.0.0.1/v1/chat/completions \
    '{"model":"tiny","messages":[{"role":"user","content":"Hello"}],"max_tokens":4}'
}
runner_units() { c systemctl list-units --all --plain --no-legend 'chaibox-runner-*' | awk '{ print $1 }'; }

echo "== a chat request starts the runner as a unit"
chat >/dev/null || { c journalctl --no-pager | tail -40; fail "the chat request failed"; }
unit=$(runner_units)
[ "$unit" = chaibox-runner-tiny.service ] || { c journalctl --no-pager | grep -i runner | tail -20; fail "runner units: '$unit'"; }
[ "$(prop "$unit" ActiveState)" = active ] || fail "$unit is $(prop "$unit" ActiveState)"
memory_max=$(prop "$unit" MemoryMax)
[[ "$memory_max" =~ ^[0-9]+$ ]] && [ "$memory_max" -gt $((256 * 1024 * 1024)) ] || fail "$unit MemoryMax is '$memory_max'"
[ "$(prop "$unit" User)" = chaibox ] || fail "$unit runs as '$(prop "$unit" User)', not chaibox"
[ "$(prop "$unit" ProtectSystem)" = strict ] || fail "$unit is not hardened (ProtectSystem=$(prop "$unit" ProtectSystem))"
[ "$(prop "$unit" NoNewPrivileges)" = yes ] || fail "$unit lacks NoNewPrivileges"
runner_pid=$(prop "$unit" MainPID)
c journalctl --no-pager -o json _PID="$runner_pid" | has '"CHAIBOX_MODEL":"tiny"' \
  || fail "the runner's journal lines are not tagged CHAIBOX_MODEL=tiny"
c journalctl --no-pager -t chaibox-runner-tiny | has "loading model" \
  || fail "no runner log lines under the identifier chaibox-runner-tiny"
c journalctl -u chaibox.service --no-pager | grep '"runner ready"' | has "\"runnerPid\":$runner_pid,\"unit\":\"$unit\"" \
  || fail "chaibox did not log the unit's main PID $runner_pid for its runner"
pass "$unit active, MemoryMax=$memory_max, user chaibox, hardened, journal tagged with the model"
# The polkit rule grants runner units, not others: the chaibox user may not restart a system service.
if c runuser -u chaibox -- systemctl --no-ask-password restart systemd-logind.service 2>/dev/null; then
  fail "the chaibox user could restart systemd-logind.service"
fi
pass "the chaibox user may not manage other units"

echo "== unloading stops the unit"
http POST http://127.0.0.1/api/generate '{"model":"tiny","keep_alive":0}' >/dev/null || fail "unload request failed"
for _ in $(seq 50); do [ -z "$(runner_units)" ] && break; sleep 0.2; done
[ -z "$(runner_units)" ] || fail "runner unit still there after unloading: $(runner_units)"
pass "the runner unit is gone after unloading"

echo "== the watchdog restarts a service that stops pinging"
chat >/dev/null || fail "the chat request before the watchdog test failed"
[ -n "$(runner_units)" ] || fail "no runner unit before the watchdog test"
old_pid=$(prop chaibox.service MainPID)
restarts=$(prop chaibox.service NRestarts)
c systemctl kill --kill-who=main -s SIGUSR2 chaibox.service
for _ in $(seq 150); do
  [ "$(prop chaibox.service NRestarts)" -gt "$restarts" ] && [ "$(prop chaibox.service ActiveState)" = active ] && break
  sleep 0.2
done
[ "$(prop chaibox.service NRestarts)" -gt "$restarts" ] || fail "chaibox.service was not restarted (NRestarts $(prop chaibox.service NRestarts))"
[ "$(prop chaibox.service ActiveState)" = active ] || fail "chaibox.service not active again after the restart"
new_pid=$(prop chaibox.service MainPID)
[ "$new_pid" != "$old_pid" ] || fail "same main PID $new_pid after the restart"
c journalctl -u chaibox.service --no-pager | has "Watchdog timeout" || fail "no watchdog timeout in the journal"
pass "watchdog timeout killed pid $old_pid; systemd restarted chaibox as pid $new_pid"
# The killed process's runner exits once its socket closes: its unit goes away instead of leaking.
for _ in $(seq 50); do [ -z "$(runner_units)" ] && break; sleep 0.2; done
[ -z "$(runner_units)" ] || fail "the killed chaibox left its runner unit behind: $(runner_units)"
pass "the runner of the killed chaibox ended with it"

echo "== systemctl stop drains and exits cleanly"
# A long streamed chat, in flight when the stop comes. The drain lets it go on for up to 10 s: it either ends
# at max_tokens, or (on a slow or busy machine) ends with a shutting_down event once the 10 s have passed.
http POST http://127.0.0.1/v1/chat/completions \
  '{"model":"tiny","messages":[{"role":"user","content":"Hello"}],"max_tokens":3500,"stream":true}' \
  >"$layer/stream.txt" 2>&1 &
stream_pid=$!
for _ in $(seq 300); do grep -q '^data:' "$layer/stream.txt" && break; sleep 0.1; done
grep -q '^data:' "$layer/stream.txt" || { cat "$layer/stream.txt"; fail "the streamed chat did not start"; }
[ -n "$(runner_units)" ] || fail "no runner unit for the streamed chat"
kill -0 "$stream_pid" 2>/dev/null || fail "the streamed chat ended before the stop: make it longer"
events_before=$(grep -c '^data:' "$layer/stream.txt")
stop_started=$(date +%s%N)
c systemctl stop chaibox.service
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
wait "$stream_pid" || true
events=$(grep -c '^data:' "$layer/stream.txt")
[ "$events" -gt "$((events_before + 1))" ] || fail "no tokens after the stop began ($events_before before, $events in all): no drain"
if grep -q '"finish_reason":"length"' "$layer/stream.txt" && grep -q '\[DONE\]' "$layer/stream.txt"; then
  pass "a chat in flight at the stop ran to its end during the drain ($events_before events before the stop, $events in all; stop took $stop_ms ms)"
else
  # Cut at the deadline: cleanly, with the shutting_down error event, and only after the 10 s drain.
  grep -q '"code":"shutting_down"' "$layer/stream.txt" || { tail -c 400 "$layer/stream.txt"; fail "the chat in flight ended without finishing or a shutting_down event"; }
  [ "$stop_ms" -ge 9500 ] || fail "the chat in flight was cut after $stop_ms ms, before the 10 s drain"
  pass "a chat in flight at the stop ran for the whole 10 s drain, then ended with shutting_down ($events_before events before the stop, $events in all; stop took $stop_ms ms)"
fi
[ "$(prop chaibox.service Result)" = success ] || fail "stop result $(prop chaibox.service Result)"
[ "$(prop chaibox.service ExecMainStatus)" = 0 ] || fail "exit status $(prop chaibox.service ExecMainStatus)"
c journalctl -u chaibox.service --no-pager | has '"shutting down"' || fail "no 'shutting down' line: SIGTERM was not handled"
[ -z "$(runner_units)" ] || fail "runner unit left after stop: $(runner_units)"
pass "stopped with status 0, result success, no runner unit left"

echo "== without the polkit rule, runners fall back to child processes"
c mount --bind /dev/null /usr/share/polkit-1/rules.d/50-chaibox.rules
c systemctl restart polkit.service
c systemctl start chaibox.service
chat >/dev/null || fail "the chat request without the polkit rule failed"
[ -z "$(runner_units)" ] || fail "a runner unit started without the polkit rule: $(runner_units)"
c journalctl -u chaibox.service --no-pager | has "systemd refused to start a runner unit: runners start as child processes" \
  || fail "the fallback to child processes was not logged"
tree=$(c systemd-cgls --no-pager --full -u chaibox.service)
[ "$(grep -c 'runner-process/main.js' <<<"$tree")" = 1 ] || fail "the runner is not a child process in chaibox.service:
$tree"
c systemctl stop chaibox.service
pass "systemd refused the unit; the runner ran as a child process of chaibox, with one warning"

echo "== systemd boot test passed"
