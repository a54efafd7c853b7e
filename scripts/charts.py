#!/usr/bin/python3
"""Charts from a timesim results DB (SQLite) alone.

    scripts/charts.py RESULTS.db [-o OUTDIR] [--run N] [--title TEXT]

Writes PNGs into OUTDIR (default: next to the DB, <db-stem>-charts/):

  timeline.png      per-link connection timeline of one run: a bar per established
                    connection, coloured by version pair; fault windows shaded (faults
                    table). For a `timesim compare --db` DB: one panel per side.
  lifetime_cdf.png  CDF of connection lifetimes: side A vs B (compare DB, all runs of each
                    side) or per version pair (single run).
  churn.png         connections established per link-hour over time (5-minute bins),
                    per side or per version pair; fault windows shaded.
  blocks.png        block height over time per node, when a `blocks` (or `samples`) table
                    with heights exists.

Only the DB is read; nothing is simulated. Debian: python3-matplotlib.
"""
import argparse
import os
import sqlite3
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

NS_PER_S = 1e9
NS_PER_MIN = 60e9
PAIR_COLOURS = {
    ("pre-fix", "pre-fix"): "#d62728",
    ("post-fix", "post-fix"): "#2ca02c",
    ("pre-fix", "post-fix"): "#ff7f0e",
    ("post-fix", "pre-fix"): "#9467bd",
}
EXTRA_COLOURS = ["#1f77b4", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
SIDE_COLOURS = {"A": "#d62728", "B": "#1f77b4"}
FAULT_COLOUR = "#7f7f7f"


def pair_colour(pair, cache={}):
    if pair in PAIR_COLOURS:
        return PAIR_COLOURS[pair]
    if pair not in cache:
        cache[pair] = EXTRA_COLOURS[len(cache) % len(EXTRA_COLOURS)]
    return cache[pair]


def has_table(db, name):
    return db.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name=?",
                      (name,)).fetchone() is not None


def columns(db, table):
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def run_end(db, run_id):
    return db.execute("SELECT COALESCE(end_ns, duration_ns) FROM runs WHERE run_id=?",
                      (run_id,)).fetchone()[0]


def run_title(db, run_id):
    name, seed = db.execute("SELECT scenario, seed FROM runs WHERE run_id=?", (run_id,)).fetchone()
    return f"{name}, seed {seed}"


def fault_windows(db, run_id, with_targets=False):
    """(start_ns, end_ns, kind[, targets]) of the run's faults; one-shots have start == end."""
    if not has_table(db, "faults"):
        return []
    end = run_end(db, run_id)
    rows = db.execute("SELECT start_ns, end_ns, kind, targets FROM faults WHERE run_id=? "
                      "ORDER BY start_ns, fault_id", (run_id,)).fetchall()
    if with_targets:
        return [(s, e if e is not None else end, k, t) for s, e, k, t in rows]
    return [(s, e if e is not None else end, k) for s, e, k, _ in rows]


def shade_faults(ax, faults, label=True):
    seen = set()
    for s, e, kind in faults:
        lab = f"fault: {kind}" if label and kind not in seen else None
        seen.add(kind)
        if e > s:
            ax.axvspan(s / NS_PER_MIN, e / NS_PER_MIN, color=FAULT_COLOUR, alpha=0.18, lw=0, label=lab,
                       zorder=0)
        else:
            ax.axvline(s / NS_PER_MIN, color=FAULT_COLOUR, lw=1, ls="--", label=lab, zorder=0)


def links_of(db, run_id):
    """Links as (dialer, listener) in node order, with names and versions, from the rows."""
    names = {n: (name, v) for n, name, v in db.execute(
        "SELECT node_id, name, version FROM nodes WHERE run_id=? ORDER BY node_id", (run_id,))}
    rows = db.execute("SELECT DISTINCT dialer, listener FROM connections WHERE run_id=? "
                      "ORDER BY dialer, listener", (run_id,)).fetchall()
    return [(d, l, names.get(d, (str(d), "?")), names.get(l, (str(l), "?"))) for d, l in rows]


MAX_TIMELINE_LINKS = 60


def draw_timeline(ax, db, run_id, title):
    end = run_end(db, run_id)
    links = links_of(db, run_id)
    if len(links) > MAX_TIMELINE_LINKS:  # large topologies: the first links only
        title += f" (first {MAX_TIMELINE_LINKS} of {len(links)} links)"
        links = links[:MAX_TIMELINE_LINKS]
    pairs_seen = {}
    for y, (d, l, (dn, _), (ln, _)) in enumerate(links):
        bars = {}
        for t0, t1, dv, lv in db.execute(
                "SELECT t_connect_ns, COALESCE(t_closed_dialer_ns, ?), dialer_version, listener_version "
                "FROM connections WHERE run_id=? AND dialer=? AND listener=? AND t_connect_ns IS NOT NULL "
                "ORDER BY t_connect_ns", (end, run_id, d, l)):
            bars.setdefault((dv, lv), []).append((t0 / NS_PER_MIN, max(t1 - t0, 0) / NS_PER_MIN))
        for pair, spans in bars.items():
            c = pair_colour(pair)
            pairs_seen[pair] = c
            # Edges in the same colour keep sub-pixel (cycling) connections visible.
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=c, edgecolors=c, linewidth=0.4)
    faults = fault_windows(db, run_id, with_targets=True)
    shade_faults(ax, [f[:3] for f in faults])
    if len(faults) <= 12:  # name each fault window above the plot
        for s, _, kind, targets in faults:
            ax.annotate(f"{kind} {targets}", (s / NS_PER_MIN, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(2, 2), textcoords="offset points", fontsize=6, color="#555", rotation=0)
    ax.set_yticks(range(len(links)))
    ax.set_yticklabels([f"{dn} → {ln}" for _, _, (dn, _), (ln, _) in links], fontsize=7)
    ax.set_ylim(-0.7, len(links) - 0.3)
    ax.invert_yaxis()
    ax.set_xlim(0, end / NS_PER_MIN)
    ax.set_xlabel("virtual time (minutes)")
    ax.set_title(title, fontsize=10, pad=14)
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=c, label=f"{a} → {b}") for (a, b), c in sorted(pairs_seen.items())]
    fh, fl = ax.get_legend_handles_labels()
    ax.legend(handles=handles + fh, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1),
              title="dialer → listener", title_fontsize=7)


def compare_sides(db):
    """{'A': (label, [run_ids]), 'B': ...} for a compare DB, else None."""
    if not has_table(db, "compare_runs"):
        return None
    sides = {}
    for run_id, side, label in db.execute("SELECT run_id, side, label FROM compare_runs ORDER BY run_id"):
        sides.setdefault(side, (label, []))[1].append(run_id)
    return sides or None


def lifetimes(db, run_ids, pair=None):
    out = []
    for r in run_ids:
        q = "SELECT lifetime_ns FROM connection_lifetimes WHERE run_id=?"
        args = [r]
        if pair:
            q += " AND dialer_version=? AND listener_version=?"
            args += list(pair)
        out += [x / NS_PER_S for (x,) in db.execute(q, args)]
    return sorted(out)


def draw_cdf(ax, series):
    styles = ["-", "--", ":", "-."]
    for i, (label, values, colour) in enumerate(series):
        if not values:
            continue
        n = len(values)
        # Start at (first, 0) so a CDF concentrated at one value still shows as a step.
        xs = [values[0]] + values
        ys = [0.0] + [(k + 1) / n for k in range(n)]
        ax.step(xs, ys, where="post", color=colour, lw=2.2 - 0.3 * (i % 4), ls=styles[i % 4],
                label=f"{label} (n={n})")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("connection lifetime (s, log scale; open connections end at the run end)")
    ax.set_ylabel("fraction of connections ≤ x")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")


def link_count(db, run_id):
    return db.execute("SELECT count(*) FROM (SELECT DISTINCT dialer, listener FROM connections "
                      "WHERE run_id=?)", (run_id,)).fetchone()[0] or 1


def churn_series(db, run_ids, bin_ns, where="", args=(), per_link=True):
    """Mean over runs of connections established per link-hour (per hour unless per_link), per bin."""
    end = max(run_end(db, r) for r in run_ids)
    nbins = max(1, int((end + bin_ns - 1) // bin_ns))
    totals = [0.0] * nbins
    for r in run_ids:
        links = link_count(db, r) if per_link else 1
        for (t,) in db.execute("SELECT t_connect_ns FROM connections WHERE run_id=? AND "
                               "t_connect_ns IS NOT NULL" + where, (r,) + tuple(args)):
            totals[min(int(t // bin_ns), nbins - 1)] += 1.0 / links
    scale = 3600e9 / bin_ns / len(run_ids)
    xs = [(i + 0.5) * bin_ns / NS_PER_MIN for i in range(nbins)]
    return xs, [v * scale for v in totals]


def draw_churn(ax, series, faults, bin_ns, ylabel="connections established per link-hour"):
    for label, (xs, ys), colour in series:
        ax.plot(xs, ys, marker="o", ms=3, color=colour, lw=1.5, label=label)
    shade_faults(ax, faults)
    ax.set_xlabel(f"virtual time (minutes; {bin_ns / NS_PER_MIN:g}-minute bins)")
    ax.set_ylabel(ylabel)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def block_heights(db, run_id):
    """{node: [(t_ns, height)]} from a blocks or samples table, or {}."""
    for table in ("blocks", "samples"):
        if not has_table(db, table):
            continue
        cols = columns(db, table)
        if "height" not in cols or "run_id" not in cols or "node" not in cols:
            continue
        tcol = next((c for c in ("t_committed_ns", "t_finalized_ns", "t_ns") if c in cols), None)
        if not tcol:
            continue
        out = {}
        for node, t, h in db.execute(f"SELECT node, {tcol}, height FROM {table} WHERE run_id=? AND "
                                     f"{tcol} IS NOT NULL ORDER BY node, {tcol}", (run_id,)):
            out.setdefault(node, []).append((t, h))
        if out:
            return out
    return {}


CHART_NAMES = ("timeline.png", "lifetime_cdf.png", "churn.png", "blocks.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_out_dir(out):
    """Why charts may not be written into `out`, or None. Like timesim's outputs
    (cli/output_path.h): no symlinks or other non-regular files, and an existing chart file
    is replaced only if it is a PNG (one this script wrote)."""
    if os.path.islink(out) or (os.path.exists(out) and not os.path.isdir(out)):
        return f"'{out}' is not a directory (or is a symbolic link); refusing to write into it"
    for name in CHART_NAMES:
        path = os.path.join(out, name)
        if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
            return f"'{path}' is not a regular file; refusing to write to it"
        if os.path.isfile(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as f:
                if f.read(len(PNG_MAGIC)) != PNG_MAGIC:
                    return f"'{path}' exists and is not a PNG chart; refusing to overwrite it"
    return None


def save(fig, path, written):
    """Writes the chart through a temporary file renamed over `path`."""
    fig.tight_layout()
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    try:
        fig.savefig(tmp, dpi=110, format="png")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    plt.close(fig)
    written.append(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("-o", "--out", help="output directory")
    ap.add_argument("--run", type=int, help="run id for single-run charts (default: the first)")
    ap.add_argument("--title", help="title prefix")
    ap.add_argument("--bin", default=5.0, type=float, help="churn bin in minutes (default 5)")
    a = ap.parse_args()
    if not os.path.exists(a.db):
        print(f"charts.py: no such DB: {a.db}", file=sys.stderr)
        return 2
    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    try:
        run_ids = [r for (r,) in db.execute("SELECT run_id FROM runs ORDER BY run_id")]
    except sqlite3.DatabaseError as e:
        print(f"charts.py: {a.db} is not a timesim results DB: {e}", file=sys.stderr)
        return 2
    if not run_ids:
        print(f"charts.py: {a.db} holds no run", file=sys.stderr)
        return 2
    out = a.out or os.path.splitext(a.db)[0] + "-charts"
    why = check_out_dir(out)
    if why:
        print(f"charts.py: {why}", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    prefix = (a.title + ": ") if a.title else ""
    bin_ns = int(a.bin * NS_PER_MIN)
    written = []
    sides = compare_sides(db)
    run = a.run if a.run else run_ids[0]
    if run not in run_ids:
        print(f"charts.py: no run {run} in {a.db}", file=sys.stderr)
        return 2

    # Timeline.
    panels = [(sides[s][1][0], f"{s}: {sides[s][0]} ({run_title(db, sides[s][1][0])})")
              for s in sorted(sides)] if sides and not a.run else [(run, run_title(db, run))]
    nlinks = min(MAX_TIMELINE_LINKS, max(len(links_of(db, r)) for r, _ in panels))
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 0.9 + 0.28 * nlinks * len(panels) + 0.6 * len(panels)),
                             squeeze=False)
    for ax, (r, title) in zip(axes[:, 0], panels):
        draw_timeline(ax, db, r, prefix + "connections per link — " + title)
    save(fig, os.path.join(out, "timeline.png"), written)

    # Lifetime CDF and churn.
    if sides:
        cdf = [(f"{s}: {sides[s][0]}", lifetimes(db, sides[s][1]), SIDE_COLOURS.get(s, "k"))
               for s in sorted(sides)]
        churn = [(f"{s}: {sides[s][0]} (mean of {len(sides[s][1])} runs)", churn_series(db, sides[s][1], bin_ns),
                  SIDE_COLOURS.get(s, "k")) for s in sorted(sides)]
        faults = []
        for s in sorted(sides):
            faults += fault_windows(db, sides[s][1][0])
        subtitle = " vs ".join(f"{s}: {sides[s][0]}" for s in sorted(sides))
    else:
        pairs = [tuple(p) for p in db.execute(
            "SELECT DISTINCT dialer_version, listener_version FROM connections WHERE run_id=? "
            "ORDER BY 1, 2", (run,))]
        cdf = [(f"{p[0]} → {p[1]}", lifetimes(db, [run], p), pair_colour(p)) for p in pairs]
        churn = [("all links", churn_series(db, [run], bin_ns, per_link=False), "black")]
        churn += [(f"{p[0]} → {p[1]}",
                   churn_series(db, [run], bin_ns, " AND dialer_version=? AND listener_version=?", p,
                                per_link=False), pair_colour(p)) for p in pairs]
        faults = fault_windows(db, run)
        subtitle = run_title(db, run)
    fig, ax = plt.subplots(figsize=(9, 5))
    draw_cdf(ax, cdf)
    ax.set_title(prefix + "connection lifetime CDF — " + subtitle, fontsize=10)
    save(fig, os.path.join(out, "lifetime_cdf.png"), written)

    fig, ax = plt.subplots(figsize=(10, 4.5))
    draw_churn(ax, churn, faults, bin_ns, "connections established per link-hour (mean of runs)" if sides
               else "connections established per hour")
    ax.set_title(prefix + "churn over time — " + subtitle, fontsize=10)
    save(fig, os.path.join(out, "churn.png"), written)

    heights = block_heights(db, run)
    if heights:
        fig, ax = plt.subplots(figsize=(10, 4.5))
        names = dict(db.execute("SELECT node_id, name FROM nodes WHERE run_id=?", (run,)))
        end = run_end(db, run)
        for node, pts in sorted(heights.items()):
            pts = pts + [(max(end, pts[-1][0]), pts[-1][1])]  # hold the last height to the end
            ax.step([t / NS_PER_MIN for t, _ in pts], [h for _, h in pts], where="post",
                    label=names.get(node, str(node)))
        shade_faults(ax, fault_windows(db, run))
        ax.set_xlabel("virtual time (minutes)")
        ax.set_ylabel("block height")
        ax.set_xlim(0, end / NS_PER_MIN)
        ax.set_title(prefix + "block height over time — " + run_title(db, run), fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        save(fig, os.path.join(out, "blocks.png"), written)

    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
