#!/usr/bin/python3
"""Draws results/perf_scaling.png from results/perf_scaling.csv (scripts/scaling)."""
import csv
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main():
    src, out = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(src)))
    rows.sort(key=lambda r: int(r["nodes"]))
    n = [int(r["nodes"]) for r in rows]
    label = [f'{r["nodes"]}\n({r["simulated"]})' for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    panels = [
        ("wall time (s)", [float(r["wall_s"]) for r in rows]),
        ("events / s (millions)", [int(r["events_per_s"]) / 1e6 for r in rows]),
        ("peak RSS per node (KB)", [int(r["peak_rss_kb"]) / int(r["nodes"]) for r in rows]),
    ]
    for ax, (title, ys) in zip(axes, panels):
        ax.plot(n, ys, marker="o")
        ax.set_xscale("log")
        ax.set_xticks(n)
        ax.set_xticklabels(label, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        for x, y in zip(n, ys):
            ax.annotate(f"{y:.3g}", (x, y), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8)
    axes[0].set_yscale("log")
    fig.suptitle("timesim scaling: random 8-out, all post-fix, --record connections "
                 "(nodes, simulated time)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
