#!/usr/bin/env python3
"""Where LatBench rows that build one graph disagree: group the calibration rows by their simulated
latency (rows that build one graph share it; a group can also hold different graphs the simulator
prices alike, e.g. x + pool(conv3x3(x)) and conv1x1(x) + pool(conv3x3(x)) at 1.0669 ms) and test
whether per-architecture features explain the measured spread inside a group.

    grep '^|' reference/latbench_edgetpu_calibration.csv | cut -d, -f1 | sed 's/^/nb201-latbench:/' > SPECS
    accelnas-estimate --target coral-latbench --batch SPECS --format csv > SIM.csv
    python3 examples/python/latbench_groups.py reference/latbench_edgetpu_calibration.csv SIM.csv

SPECS holds one `nb201-latbench:<arch>` line per CSV row. Prints the largest groups (measured
min / median / max), then the Spearman correlation of the measured latency with each feature in the
largest group, and of measured / group median with each feature over all groups of 5 or more rows.
Features count what a builder that did not prune would still compute: `none` edges (x * 0),
`skip_connect` edges, every conv and pool edge, the dead ones (off every input -> output path), and
`order`, the position of the architecture in the measuring loop of BRP-NAS's eagle (edge 1<-0 is
the fastest-changing digit), which a drift of the device over time would follow.
Only the standard library is used.
"""
import collections
import csv
import sys

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGE_FROM = [0, 0, 1, 0, 1, 2]
EDGE_TO = [1, 2, 2, 3, 3, 3]


def parse(arch):
    return [OPS.index(tok.split("~")[0]) for node in arch.split("+") for tok in node.strip("|").split("|")]


def reach(v):
    """Per node of the cell: reachable from the input (fwd), reaching the output (bwd)."""
    fwd, bwd = [True, False, False, False], [False, False, False, True]
    for e in range(6):
        if v[e] and fwd[EDGE_FROM[e]]:
            fwd[EDGE_TO[e]] = True
    for e in reversed(range(6)):
        if v[e] and bwd[EDGE_TO[e]]:
            bwd[EDGE_FROM[e]] = True
    return fwd, bwd


def live_edges(v):
    fwd, bwd = reach(v)
    return [bool(v[e]) and fwd[EDGE_FROM[e]] and bwd[EDGE_TO[e]] for e in range(6)]


def features(arch):
    v = parse(arch)
    live = live_edges(v)
    f = collections.OrderedDict()
    f["none"] = v.count(0)
    f["skip"] = v.count(1)
    f["conv1x1"] = v.count(2)
    f["conv3x3"] = v.count(3)
    f["pool"] = v.count(4)
    f["dead_conv"] = sum(1 for e in range(6) if v[e] in (2, 3) and not live[e])
    f["dead_pool"] = sum(1 for e in range(6) if v[e] == 4 and not live[e])
    f["order"] = sum(v[i] * 5**i for i in range(6))
    return f


def ranks(x):
    idx = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[idx[j + 1]] == x[idx[i]]:
            j += 1
        for k in range(i, j + 1):
            r[idx[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(x, y):
    a, b = ranks(x), ranks(y)
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sa = sum((p - ma) ** 2 for p in a) ** 0.5
    sb = sum((q - mb) ** 2 for q in b) ** 0.5
    if sa == 0 or sb == 0:
        return float("nan")
    return sum((p - ma) * (q - mb) for p, q in zip(a, b)) / (sa * sb)


def table(label, members):
    print(f"{label} (n={len(members)}): Spearman of the measured value with")
    fs = [features(a) for a, _ in members]
    ys = [y for _, y in members]
    print("  " + "  ".join(f"{k} {spearman([f[k] for f in fs], ys):+.3f}" for k in fs[0]))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            if line.startswith("#") or line.startswith("arch_str"):
                continue
            arch, ms = line.strip().split(",")
            rows.append((arch, float(ms)))
    with open(sys.argv[2]) as f:
        sim = {r["model"].split(":", 1)[1]: float(r["latency_ms"]) for r in csv.DictReader(f)}
    groups = collections.defaultdict(list)
    for arch, ms in rows:
        groups[round(sim[arch], 6)].append((arch, ms))
    big = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    print("largest groups of rows with one simulated latency:")
    for s, m in big[:6]:
        ls = sorted(ms for _, ms in m)
        print(f"  sim {s:.4f} ms  n={len(m):3d}  measured min {ls[0]:.3f}  median {ls[len(ls) // 2]:.3f}  max {ls[-1]:.3f}")
    table(f"largest group (sim {big[0][0]:.4f} ms)", big[0][1])
    pooled = []
    for _, m in big:
        if len(m) < 5:
            continue
        ls = sorted(ms for _, ms in m)
        med = ls[len(ls) // 2]
        pooled += [(a, ms / med) for a, ms in m]
    table("all groups of 5 or more rows, measured / group median", pooled)


if __name__ == "__main__":
    main()
