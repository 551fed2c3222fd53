#!/usr/bin/env python3
"""Groups LatBench rows by the expression of their built cell and prints, per group, the median
measured and priced latency.

The cell is built as BRP-NAS's eagle builds it (and as `zoo::nasbench201(..., nb201_variant::latbench)`
does): `none` edges dropped, skip paths between the same two tensors merged, ops off every input ->
output path pruned, each sum a chain of two-input adds in node order. Two architectures with the same
expression build the same graph; groups show where a config prices a cell structure high or low, e.g.
`add(pool(x),conv3(x))` against `add(conv3(x),pool(x))` (the same cell, siblings in the other order).

Input: the per-row output of `accelnas-calibrate ... --rows` (lines `fit ARCH measured X ms predicted
Y ms`, and `held-out ...`); only the fitted rows are grouped unless `--held-out` is given. Uses
`latbench_groups.py` (beside it) for the cell's edges and only the standard library.

    accelnas-calibrate --target coral-latbench --estimator sim \
        --measurements reference/latbench_edgetpu_calibration.csv --holdout 0.5 --max-evaluations 0 --rows > ROWS.txt
    python3 examples/python/latbench_cells.py ROWS.txt [--min-rows 3] [--held-out]
"""
import argparse
import collections
import re
import statistics

from latbench_groups import EDGE_FROM, EDGE_TO, parse, reach  # the same directory

KIND = {2: "conv1", 3: "conv3", 4: "pool"}


def build(arch):
    """The cell's ops in creation order, each (kind, input indices; -1 = the cell input), and the output."""
    v = parse(arch)
    fwd, bwd = reach(v)
    ops = []
    if not fwd[3]:
        return ops, None
    terms = [[-1], [], [], []]

    def chain(ts):
        acc = ts[0]
        for t in ts[1:]:
            ops.append(("add", (acc, t)))
            acc = len(ops) - 1
        return acc

    for to in (1, 2, 3):
        if not (fwd[to] and bwd[to]):
            continue
        for frm in range(to):
            e = next(k for k in range(6) if EDGE_FROM[k] == frm and EDGE_TO[k] == to)
            op = v[e]
            if op == 0 or not fwd[frm]:
                continue
            if op == 1:
                for t in terms[frm]:
                    if t not in terms[to]:
                        terms[to].append(t)
            else:
                ops.append((KIND[op], (chain(terms[frm]),)))
                if len(ops) - 1 not in terms[to]:
                    terms[to].append(len(ops) - 1)
        terms[to].sort()
    return ops, chain(terms[3])


def expression(arch):
    ops, out = build(arch)
    if out is None:
        return "(no path)"

    def e(i):
        if i < 0:
            return "x"
        kind, ins = ops[i]
        return kind + "(" + ",".join(e(j) for j in ins) + ")"

    return e(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", help="output of accelnas-calibrate --rows")
    ap.add_argument("--min-rows", type=int, default=3, help="smallest group printed")
    ap.add_argument("--held-out", action="store_true", help="group the held-out rows instead of the fitted ones")
    a = ap.parse_args()
    which = "held-out" if a.held_out else "fit"
    pat = re.compile(r"^\s*(fit|held-out)\s+(\S+)\s+measured\s+([\d.]+) ms\s+predicted\s+([\d.]+) ms")
    groups = collections.defaultdict(list)
    with open(a.rows) as f:
        for line in f:
            m = pat.match(line)
            if m and m.group(1) == which:
                groups[expression(m.group(2))].append((float(m.group(3)), float(m.group(4))))
    if not groups:
        raise SystemExit(f"{a.rows}: no '{which}' rows (expected the output of accelnas-calibrate --rows)")
    print(f"{'rows':>4} {'measured':>9} {'priced':>8} {'diff':>7}  cell")
    for k, v in sorted(groups.items(), key=lambda kv: statistics.median(x[1] for x in kv[1])):
        if len(v) < a.min_rows:
            continue
        me = statistics.median(x[0] for x in v)
        pr = statistics.median(x[1] for x in v)
        print(f"{len(v):4d} {me:9.3f} {pr:8.3f} {100 * (pr / me - 1):+6.1f}%  {k}")


if __name__ == "__main__":
    main()
