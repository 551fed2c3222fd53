#!/usr/bin/env python3
"""Render a Chrome trace-event file written by `accelnas-estimate --estimator sim --trace FILE.json`
as an SVG timeline: one row per resource track (sequencer, host link, DMA engines, on-chip network,
vector path, tiles), one bar per span, coloured by its category (pass, weights, setup, ...).

    python3 examples/python/trace_svg.py TRACE.json OUT.svg [--from-us A] [--to-us B] [--width 1200]

Only the standard library is used.
"""
import argparse
import html
import json
import sys

COLOURS = {
    "pass": "#4e79a7", "vector": "#f28e2b", "weights": "#59a14f", "setup": "#9c755f", "input": "#e15759",
    "parameters": "#b07aa1", "spill": "#ff9da7", "output": "#76b7b2", "link": "#bab0ac", "move": "#edc948",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--from-us", type=float, default=None, help="start of the window (microseconds)")
    ap.add_argument("--to-us", type=float, default=None, help="end of the window (microseconds)")
    ap.add_argument("--width", type=int, default=1200)
    a = ap.parse_args()
    with open(a.trace) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    title, tracks, spans = "", {}, []
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            title = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            tracks[e["tid"]] = e["args"]["name"]
        elif e.get("ph") == "X":
            spans.append(e)
    if not spans:
        sys.exit("trace_svg: no spans in " + a.trace)
    t0 = a.from_us if a.from_us is not None else min(s["ts"] for s in spans)
    t1 = a.to_us if a.to_us is not None else max(s["ts"] + s["dur"] for s in spans)
    if t1 <= t0:
        sys.exit("trace_svg: empty window")
    # Tracks with at least one span, in their order.
    used = sorted({s["tid"] for s in spans})
    row = {tid: i for i, tid in enumerate(used)}
    left, top, rh, w = 130, 40, 18, a.width
    plot = w - left - 20
    h = top + rh * len(used) + 70

    def x(t):
        return left + (min(max(t, t0), t1) - t0) / (t1 - t0) * plot

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="13">{html.escape(title)}: {t0:.0f}-{t1:.0f} us</text>']
    for tid in used:
        y = top + row[tid] * rh
        out.append(f'<text x="{left - 6}" y="{y + rh - 5}" text-anchor="end">{html.escape(tracks.get(tid, str(tid)))}</text>')
        out.append(f'<line x1="{left}" y1="{y + rh}" x2="{left + plot}" y2="{y + rh}" stroke="#eee"/>')
    # Spans of one track and category closer than half a pixel merge into one bar (a whole-inference
    # picture has thousands of short passes); each bar's tooltip names its first op.
    bars = {}
    for s in sorted(spans, key=lambda s: (s["tid"], s.get("cat", ""), s["ts"])):
        if s["ts"] + s["dur"] < t0 or s["ts"] > t1:
            continue
        key = (s["tid"], s.get("cat", ""))
        xa, xb = x(s["ts"]), x(s["ts"] + s["dur"])
        lst = bars.setdefault(key, [])
        if lst and xa - lst[-1][1] < 0.5:
            lst[-1][1] = max(lst[-1][1], xb)
            lst[-1][3] += 1
        else:
            lst.append([xa, xb, s["name"], 1])
    for (tid, cat), lst in bars.items():
        y = top + row[tid] * rh
        c = COLOURS.get(cat, "#999")
        for xa, xb, name, n in lst:
            more = f" + {n - 1} more" if n > 1 else ""
            out.append(f'<rect x="{xa:.1f}" y="{y + 2}" width="{max(xb - xa, 0.5):.1f}" height="{rh - 4}" fill="{c}">'
                       f'<title>{html.escape(name)}{more} ({html.escape(cat)})</title></rect>')
    # Time axis and legend.
    ya = top + rh * len(used) + 4
    for i in range(11):
        t = t0 + (t1 - t0) * i / 10
        out.append(f'<line x1="{x(t):.1f}" y1="{ya}" x2="{x(t):.1f}" y2="{ya + 5}" stroke="black"/>')
        out.append(f'<text x="{x(t):.1f}" y="{ya + 17}" text-anchor="middle">{t:.0f}</text>')
    out.append(f'<text x="{left + plot}" y="{ya + 30}" text-anchor="end">microseconds</text>')
    cats = sorted({s.get("cat", "") for s in spans})
    lx = left
    for c in cats:
        out.append(f'<rect x="{lx}" y="{ya + 40}" width="10" height="10" fill="{COLOURS.get(c, "#999")}"/>')
        out.append(f'<text x="{lx + 14}" y="{ya + 49}">{html.escape(c)}</text>')
        lx += 20 + 7 * len(c)
    out.append("</svg>")
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
