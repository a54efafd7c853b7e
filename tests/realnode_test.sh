#!/usr/bin/env bash
# ctest `realnode.*` (label realnode): the fidelity check against the REAL node's code.
# Builds the kit's tm-net-harness for ea701a4 and 31ad283 (cached in
# ${TIMESIM_REALNODE_CACHE:-$HOME/.cache/timesim-realnode}), runs the six-node incident on it
# for SECONDS (default ${TIMESIM_REALNODE_SECONDS:-180}) s of real time (scripts/realnode), then:
#   1. timesim fidelity with the project's model must agree on every link (exit 0);
#   2. with a wrong model (--model-override handshake.first=true: the pre-fix dialers handshake
#      first) it must disagree (exit 1) on the 8 links whose dialer runs ea701a4.
# With MODEL_NODES (scenario IPs, comma-separated) the run is MIXED (scripts/realnode
# --model-nodes): those nodes run as timesim live nodes among the real ones; the checks are
# the same, and every mixed link (real dialer -> model listener, model dialer -> real
# listener) must have been captured as a connection.
# Prints "SKIPPED: <why>" and exits 77 where it cannot run (ctest SKIP_RETURN_CODE 77).
# usage: realnode_test.sh SOURCE_DIR TIMESIM_BINARY [SECONDS [MODEL_NODES]]
set -uo pipefail
SRC=$1; TS=$2
SECS=${3:-${TIMESIM_REALNODE_SECONDS:-180}}; MODELS=${4:-}
KIT=${TIMESIM_REALNODE_KIT:-$SRC/../shared/realnode}
skip() { echo "SKIPPED: $*"; exit 77; }
[ -d "$KIT/bin" ] || skip "no realnode kit at $KIT (set TIMESIM_REALNODE_KIT)"
[ "$(id -u)" -eq 0 ] || skip "needs root for unshare -n -m and tcpdump"
command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
command -v tcpdump >/dev/null || skip "tcpdump is missing"
unshare -n -m true 2>/dev/null || skip "unshare -n -m is not permitted here (container without CAP_SYS_ADMIN?)"
[ -x /usr/bin/cargo ] || apt-get -s install cargo-web >/dev/null 2>&1 || skip "Debian's cargo-web is not installable"
W=$(mktemp -d /tmp/timesim-realnode.XXXXXX); trap 'rm -rf "$W"' EXIT
SCEN="$SRC/topologies/six_nodes.yaml"
"$SRC/scripts/realnode" "$SCEN" --duration "${SECS}s" --db "$W/real.db" \
  --timesim "$TS" ${MODELS:+--model-nodes "$MODELS"} > "$W/realnode.out" 2>&1 \
  || { cat "$W/realnode.out"; echo "FAIL: realnode run"; exit 1; }
tail -6 "$W/realnode.out"
if [ -n "$MODELS" ]; then
  grep -q "+ 3 model nodes (mixed)" "$W/realnode.out" || { echo "FAIL: the import names no model nodes"; exit 1; }
  # Every link between a real and a model node holds a connection of the capture.
  mixed=$(sqlite3 "$W/real.db" "SELECT count(DISTINCT c.dialer || '-' || c.listener) FROM connections c
    JOIN node_events d ON d.run_id=c.run_id AND d.node=c.dialer AND d.kind='start'
    JOIN node_events l ON l.run_id=c.run_id AND l.node=c.listener AND l.kind='start'
    WHERE (d.detail LIKE 'model %') != (l.detail LIKE 'model %') AND c.t_connect_ns IS NOT NULL")
  echo "mixed links with an established connection: $mixed"
  [ "$mixed" = 9 ] || { echo "FAIL: expected 9 real<->model links connected"; exit 1; }
fi
rc=0
"$TS" fidelity "$SCEN" --against "$W/real.db" > "$W/ok.out" || rc=$?
cat "$W/ok.out"
[ $rc -eq 0 ] || { echo "FAIL: the model disagrees with the real node (exit $rc)"; exit 1; }
grep -q "^15 of 15 links agree$" "$W/ok.out" || { echo "FAIL: expected 15 agreeing links"; exit 1; }
rc=0
"$TS" fidelity "$SCEN" --against "$W/real.db" \
  --model-override handshake.first=true > "$W/wrong.out" || rc=$?
tail -3 "$W/wrong.out"
[ $rc -eq 1 ] || { echo "FAIL: a model with the pre-fix dialers handshaking first was not caught (exit $rc)"; exit 1; }
grep -q "^7 of 15 links agree$" "$W/wrong.out" || { echo "FAIL: expected exactly the 8 pre-fix-dialer links to differ"; exit 1; }
echo "PASS: ${MODELS:+mixed }real harness run, fidelity agrees; the wrong model is caught"
