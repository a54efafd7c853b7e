#!/usr/bin/python3
"""PNG charts from a timesim results DB alone: the HTML report's charts, as files.

    scripts/charts.py RESULTS.db [-o OUTDIR]

The charts are the Vega-Lite specs that `timesim report` builds (analysis/report_charts.cc):
this script runs `timesim report`, renders each spec to SVG with Node.js and the vendored
Vega bundle (scripts/render_charts.js, third_party/vega), and turns the SVGs into PNGs with
rsvg-convert. Writes into OUTDIR (default: next to the DB, <db-stem>-charts/):

  timeline.png        per-link connection timeline of the first run, coloured by version
                      pair; fault windows shaded
  lifetime_cdf.png    CDF of connection lifetimes: A vs B (compare DB) or per version pair
  churn.png           connections established over time; fault windows shaded
  blocks.png          block height over time per node, when the DB has a `blocks` table
  timeline_A.png, timeline_B.png, run_lifetime_cdf.png, run_churn.png
                      for a `timesim compare --db` DB: each side's first run, and the
                      first run's own CDF and churn

The timesim binary: $TIMESIM_BIN, else $TIMESIM_BUILD_DIR/timesim or build/timesim of this
checkout, else `timesim` on PATH. Debian: nodejs, librsvg2-bin (scripts/setup).
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Report figure id -> file name, for a single-run DB and for a compare DB.
SINGLE = {"chart-timeline": "timeline.png", "chart-run-cdf": "lifetime_cdf.png",
          "chart-run-churn": "churn.png", "chart-blocks": "blocks.png"}
COMPARE = {"chart-timeline": "timeline.png", "chart-cdf": "lifetime_cdf.png",
           "chart-churn": "churn.png", "chart-blocks": "blocks.png",
           "chart-timeline-A": "timeline_A.png", "chart-timeline-B": "timeline_B.png",
           "chart-run-cdf": "run_lifetime_cdf.png", "chart-run-churn": "run_churn.png"}


def timesim_binary():
    if os.environ.get("TIMESIM_BIN"):
        return os.environ["TIMESIM_BIN"]
    built = os.path.join(os.environ.get("TIMESIM_BUILD_DIR", os.path.join(ROOT, "build")), "timesim")
    return built if os.access(built, os.X_OK) else shutil.which("timesim")


CHART_NAMES = tuple(sorted(set(SINGLE.values()) | set(COMPARE.values())))
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


def render(db_path, out, names):
    """Renders the report's charts of `db_path` into `out` as PNGs; returns the paths."""
    binary = timesim_binary()
    if not binary:
        raise RuntimeError("no timesim binary (set TIMESIM_BIN or build into build/)")
    written = []
    with tempfile.TemporaryDirectory(prefix="timesim-charts-") as tmp:
        html = os.path.join(tmp, "report.html")
        subprocess.run([binary, "report", db_path, "-o", html], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["node", os.path.join(ROOT, "scripts", "render_charts.js"), html, tmp], check=True)
        for fig, name in sorted(names.items()):
            svg = os.path.join(tmp, fig + ".svg")
            if not os.path.exists(svg):
                continue
            # Through a temporary file in `out`, renamed over the chart.
            part = os.path.join(out, "." + name + ".tmp")
            try:
                subprocess.run(["rsvg-convert", "-b", "white", "-z", "1.25", svg, "-o", part],
                               check=True)
                os.replace(part, os.path.join(out, name))
            finally:
                if os.path.exists(part):
                    os.unlink(part)
            written.append(os.path.join(out, name))
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("-o", "--out", help="output directory")
    a = ap.parse_args()
    if not os.path.exists(a.db):
        print(f"charts.py: no such DB: {a.db}", file=sys.stderr)
        return 2
    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    try:
        run_ids = [r for (r,) in db.execute("SELECT run_id FROM runs ORDER BY run_id")]
        compare = db.execute("SELECT 1 FROM sqlite_master WHERE name='compare_runs'").fetchone()
    except sqlite3.DatabaseError as e:
        print(f"charts.py: {a.db} is not a timesim results DB: {e}", file=sys.stderr)
        return 2
    finally:
        db.close()
    if not run_ids:
        print(f"charts.py: {a.db} holds no run", file=sys.stderr)
        return 2
    out = a.out or os.path.splitext(a.db)[0] + "-charts"
    why = check_out_dir(out)
    if why:
        print(f"charts.py: {why}", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    try:
        written = render(os.path.abspath(a.db), out, COMPARE if compare else SINGLE)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print(f"charts.py: {e}", file=sys.stderr)
        return 1
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
