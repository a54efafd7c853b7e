#!/usr/bin/env python3
"""ctest `history.metrics` (label history): scripts/history's metrics on tiny runs, against
values derived from the protocol, not from recorded output.

  tests/history_test.py SOURCE_DIR TIMESIM

1. The incident mix (topologies/six_nodes.yaml, 20 min): a link cycles exactly when its
   dialer's profile sends Ping before Handshake (`handshake.first` false: ea701a4
   network/client.rs sends Ping first; the listener closes on "message before handshake",
   server.rs), and the dialer is the lower IP string (the incident commits' dial rule).
   So cycling links = pairs whose lower-IP node runs such a profile (8 of 15 there).
2. Duplicate connections: under the string dial rule one side dials each pair, so 0; under
   `dial_rule: both` (9fc70f4: no rule) with the listener accepting duplicates
   (`conn.duplicate: accept`, 1f246fd onwards) a pair is dialled from both sides unless one
   side's connection is past its handshake when the other comes to dial (a connected peer is
   not dialled): some of the C(6,2) = 15 pairs hold two connections, each adding one link
   and one duplicate (on post-fix, handshake first, connections stay up).
   The link classes also equal `timesim run`'s own summary line.
3. The pipeline end to end (two profiles, short runs, rollout): the markdown's rows say
   pre-fix cycles 15/15 and post-fix none, and the rollout's all-post-fix window has no
   cycling link.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile

SRC, TIMESIM = sys.argv[1], sys.argv[2]
HISTORY = os.path.join(SRC, "scripts", "history")
failures = []


def check(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}" + ("" if ok else f" (want {want!r})"))
    if not ok:
        failures.append(what)


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=SRC)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def metrics(db):
    return json.loads(run(HISTORY, "metrics", db, "--json"))[0]


def handshake_first():
    out = json.loads(run(TIMESIM, "versions", "--json"))
    return {p["name"]: p["fields"]["handshake.first"] == "true" for p in out["builtin"]}


with tempfile.TemporaryDirectory(prefix="history-test-") as tmp:
    # 1. cycling links of the incident mix.
    six = os.path.join(SRC, "topologies", "six_nodes.yaml")
    nodes = re.findall(r"ip:\s*([0-9.]+),\s*version:\s*([\w.-]+)", open(six).read())
    hs = handshake_first()
    want_cycling = sum(1 for (a, va), (b, vb) in itertools.combinations(nodes, 2)
                       if not hs[va if a < b else vb])
    check("incident mix: pairs whose dialer sends Ping first", want_cycling, 8)
    db = os.path.join(tmp, "incident.db")
    line = run(TIMESIM, "run", six, "--duration", "20m", "--db", db, "-q")
    m = metrics(db)
    # The same classes as `timesim run`'s summary line (analysis/summary.cc), link for link.
    summary = re.search(r"links: (\d+) cycling, (\d+) stable, (\d+) flapping, (\d+) down", line)
    check("incident mix: classes as timesim's summary",
          [m[k] for k in ("cycling", "stable", "flapping", "down")],
          [int(g) for g in summary.groups()] if summary else None)
    check("incident mix: links", m["links"], len(nodes) * (len(nodes) - 1) // 2)
    check("incident mix: cycling links", m["cycling"], want_cycling)
    check("incident mix: duplicate connections (string rule)", m["duplicates"], 0)

    # 2. duplicate connections under dial_rule both.
    both = os.path.join(tmp, "six_both.yaml")
    with open(both, "w") as f:
        f.write(open(six).read().rstrip("\n") +
                "\nversions:\n  post-fix-both-dial: {base: post-fix, dial_rule: both, conn: {duplicate: accept}}\n")
    pairs = len(nodes) * (len(nodes) - 1) // 2
    for version in ("post-fix", "post-fix-both-dial"):
        db = os.path.join(tmp, f"{version}.db")
        run(TIMESIM, "run", both, "--all-version", version, "--duration", "10m", "--db", db, "-q")
        m = metrics(db)
        if version == "post-fix":
            check(f"{version}: links", m["links"], pairs)
            check(f"{version}: duplicate connections", m["duplicates"], 0)
        else:
            # A pair holds two connections only if each side dialled before the other's
            # connection reached it past its handshake (a connected peer is not dialled,
            # client.rs): at least one pair does with 100 ms between start-up dials, and each
            # such pair adds one link and one duplicate, both connections staying up.
            check(f"{version}: some pair holds two connections", 0 < m["duplicates"] <= pairs,
                  True)
            check(f"{version}: links", m["links"], pairs + m["duplicate_pairs"])
            check(f"{version}: duplicates, one per pair", m["duplicates"], m["duplicate_pairs"])
        check(f"{version}: cycling links", m["cycling"], 0)

    # 3. the pipeline, end to end.
    out = os.path.join(tmp, "history.md")
    run(HISTORY, "--timesim", TIMESIM, "--profiles", "pre-fix,post-fix", "--six-duration",
        "10m", "--six-seeds", "1", "--random-duration", "1m", "--random-seeds", "1",
        "--rollout-step", "10m", "--rollout-stagger", "1m", "--rollout-seeds", "1",
        "--work", os.path.join(tmp, "work"), "--out", out)
    md = open(out).read()
    six_part = md.split("## Six-node network")[1].split("## 100-node")[0]
    check("history.md six-node: pre-fix", "**ea701a4** `pre-fix`" in six_part and
          "links cycle: 15/15" in six_part.split("**31ad283**")[0], True)
    check("history.md six-node: post-fix", "no link cycles (15 links"
          in six_part.split("**31ad283**")[1], True)
    roll = md.split("## Rollout")[1]
    row = re.search(r"^\| 31ad283 \(all nodes\) \| (\d+) \| (\d+) \|", roll, re.M)
    check("history.md rollout: post-fix window links, cycling",
          row and (row.group(1), row.group(2)), ("15", "0"))
    check("history.md cross-check", "equals `timesim sweep`" in md, True)

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
