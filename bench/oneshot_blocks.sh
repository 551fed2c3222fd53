#!/usr/bin/env bash
# "No one-size-fits-all" as a search result: one-shot (TuNAS) searches of the edgetpu space for two
# targets at comparable latency targets, and the blocks each one chooses:
#   bash bench/oneshot_blocks.sh [BUILD_DIR] [OUT_DIR]      (builds nothing: accelnas-search must exist)
# For each target in $TARGETS (default coral-usb pixel4-cpu) and each search seed in $SEEDS (1 2 3) it
# runs, single-threaded, accelnas-search --method oneshot --estimator apm --reward tunas --tunas-beta
# $BETA --steps $STEPS --oneshot-seeds 0 (no stand-alone training: this is about the blocks chosen,
# not their accuracy) with no --latency-ms, so each target's latency target is the space's default:
# the APM's latency of EfficientNet-EdgeTPU-S on that device (the same published model, the same
# relative budget on both). $PAR runs at a time (default 3; $OUT_DIR/<target>-s<seed>.log, .err,
# .time). Then it prints, per target and seed, the chosen architecture's block kind, kernel and
# expansion per stage and its latency against the target, and per target and stage the mean +- std
# over the seeds of the final policy's probabilities (block kind, kernel 5, expansion 8) from
# DIR/oneshot.json's "policy", and writes $OUT_DIR/summary.json and $OUT_DIR/summary.csv.
# With $BUILD_DIR/examples/accelnas-estimate built it also prices every result on every target, and
# as a reference $REFERENCE (default 20000) uniformly drawn architectures of the space: of those within
# +-5% of one target, where they lie on the other. SUMMARY_ONLY=1: only the tables, from the runs
# already in OUT_DIR.
set -euo pipefail
TARGETS=${TARGETS:-coral-usb pixel4-cpu}
SEEDS=${SEEDS:-1 2 3}
STEPS=${STEPS:-1000}
BETA=${BETA:--0.5}
build=${1:-build}
out=${2:-$(mktemp -d)}
tool=$build/examples/accelnas-search
PAR=${PAR:-3}
REFERENCE=${REFERENCE:-20000}
ONESHOT_ARGS=${ONESHOT_ARGS:-}
if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
  [ -x "$tool" ] || { echo "no $tool (cmake --build $build --target accelnas-search)" >&2; exit 1; }
  # every run is timed with it (search_runs.sh); without it each run would fail with only that in its .err
  [ -x /usr/bin/time ] || { echo "no /usr/bin/time (apt-get install time)" >&2; exit 1; }
fi
mkdir -p "$out"

# shellcheck source=bench/search_runs.sh
. "$(dirname "$0")/search_runs.sh"

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
  start_load_sampler "$out"
  pids=()
  for s in $SEEDS; do
    for t in $TARGETS; do
      while [ "$(jobs -rp | wc -l)" -gt "$PAR" ]; do sleep 2; done  # the sampler is one of the jobs
      # shellcheck disable=SC2086
      search_run "$tool" "$out" "$t-s$s" --method oneshot --target "$t" --space edgetpu --estimator apm --reward tunas --tunas-beta "$BETA" \
          --threads 1 --steps "$STEPS" --oneshot-seeds 0 --seed "$s" $ONESHOT_ARGS & pids+=($!)
    done
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  [ $status = 0 ] || { echo "a run failed: see $out/*.err" >&2; exit 1; }
fi

python3 - "$out" "$STEPS" "$BETA" "$SEEDS" "$TARGETS" "$build/examples/accelnas-estimate" "$REFERENCE" <<'EOF'
import json, random, re, statistics as st, subprocess, sys, os
out, steps, beta, seeds, targets, estimate = sys.argv[1:7]
REFERENCE = int(sys.argv[7])
seeds, targets = seeds.split(), targets.split()
KINDS = ["conv", "dwsep", "ibn", "fused_ibn"]
SHORT = {"conv": "C", "dwsep": "D", "ibn": "I", "fused_ibn": "F", "none": "-"}
# The edgetpu space's base layers per stage (space/spaces/edgetpu.hpp): with layers=-1 stage 1 has none,
# and its block, kernel and expansion are no part of the network.
BASE_LAYERS = [1, 2, 4, 5, 4, 2]
def cpu(name):
    p = os.path.join(out, name + ".time")
    if not os.path.exists(p): return float("nan")
    t = open(p).read()
    m = [re.search(rf"{k} time \(seconds\): ([\d.]+)", t) for k in ("User", "System")]
    return sum(float(x.group(1)) for x in m) if all(m) else float("nan")  # a killed run leaves a partial file
def sd(v): return st.stdev(v) if len(v) > 1 else 0.0
def pm(v, f="{:.2f}"): return (f + " +- " + f.replace("+", "")).format(st.mean(v), sd(v)) if v else "n/a"
rows = []
for t in targets:
    for s in seeds:
        j = json.load(open(os.path.join(out, f"{t}-s{s}", "oneshot.json")))
        stages = [dict(kv.split("=") for kv in part.split(",")) for part in j["arch"].split("/")]
        pol = {p["decision"]: dict(zip(p["choices"], p["probabilities"])) for p in j["policy"]}
        n = len(stages)
        present = [BASE_LAYERS[i] + int(x["layers"]) > 0 for i, x in enumerate(stages)]
        r = dict(target=t, seed=int(s), latency_ms=j["latency_ms"], target_ms=j["latency_target_ms"],
                 most_likely_latency_ms=j["most_likely_latency_ms"], oneshot_accuracy=j["oneshot_accuracy"], cpu_s=cpu(f"{t}-s{s}"),
                 arch=j["arch"], block=[x["block"] if on else "none" for x, on in zip(stages, present)],
                 kernel=[int(x["kernel"]) if on else None for x, on in zip(stages, present)],
                 # expansion only where the block reads it (IBN, fused IBN): elsewhere the decision changes nothing
                 expand=[int(x["expand"]) if on and x["block"] in ("ibn", "fused_ibn") else None for x, on in zip(stages, present)],
                 p_block=[[pol[f"s{i + 1}.block"][k] for k in KINDS] for i in range(n)],
                 p_kernel5=[pol[f"s{i + 1}.kernel"]["5"] for i in range(n)],
                 p_expand8=[pol[f"s{i + 1}.expand"]["8"] for i in range(n)],
                 # how concentrated the policy is: the most likely choice's probability, over the decisions
                 top_probability_mean=st.mean(max(p["probabilities"]) for p in j["policy"]),
                 top_probability_min=min(max(p["probabilities"]) for p in j["policy"]))
        rows.append(r)
n = len(rows[0]["block"])
print(f"one-shot, edgetpu space, {steps} steps, tunas beta {beta}, APM; target: each device's APM latency of "
      f"EfficientNet-EdgeTPU-S; seeds {' '.join(seeds)}")
if os.path.exists(os.path.join(out, "load.txt")):
    load = [float(l.split()[1]) for l in open(os.path.join(out, "load.txt")) if l.strip()]
    if load: print(f"load average during the runs: mean {st.mean(load):.1f}, min {min(load):.1f}, max {max(load):.1f} (2 cores)")
print("\nchosen architecture per stage (C conv, D dwsep, I IBN, F fused IBN, - no layers; kernel; expansion where the block has one):")
print(f"{'target':11} {'seed':>4} {'latency ms':>10} {'target':>7} {'vs':>6}  {'blocks':12} {'kernels':12} {'expansions':12} "
      f"{'fused':>5} {'k=5':>3} {'CPU s':>6}")
for r in rows:
    print(f"{r['target']:11} {r['seed']:>4} {r['latency_ms']:>10.3f} {r['target_ms']:>7.3f} {100 * (r['latency_ms'] / r['target_ms'] - 1):>+5.1f}%  "
          f"{' '.join(SHORT[b] for b in r['block']):12} {' '.join(str(k) if k else '-' for k in r['kernel']):12} "
          f"{' '.join(str(e) if e else '-' for e in r['expand']):12} {r['block'].count('fused_ibn'):>5} {r['kernel'].count(5):>3} "
          f"{r['cpu_s']:>6.0f}")
summary = {}
for t in targets:
    rs = [r for r in rows if r["target"] == t]
    per_stage = []
    for i in range(n):
        on = [r for r in rs if r["block"][i] != "none"]  # a stage without layers: its decisions change nothing
        e = dict(stage=i + 1,
                 **{f"p_{k}": [r["p_block"][i][j] for r in on] for j, k in enumerate(KINDS)},
                 p_kernel5=[r["p_kernel5"][i] for r in on], p_expand8=[r["p_expand8"][i] for r in on],
                 chosen_fused=sum(r["block"][i] == "fused_ibn" for r in rs),
                 chosen_depthwise=sum(r["block"][i] in ("ibn", "dwsep") for r in rs),
                 chosen_kernel5=sum(r["kernel"][i] == 5 for r in rs),
                 chosen_expand8=sum(r["expand"][i] == 8 for r in rs), chosen_expand=sum(r["expand"][i] is not None for r in rs),
                 runs=len(on))
        per_stage.append(e)
    summary[t] = dict(per_stage=per_stage,
                      fused_stages=[r["block"].count("fused_ibn") for r in rs],
                      depthwise_stages=[sum(b in ("ibn", "dwsep") for b in r["block"]) for r in rs],
                      kernel5_stages=[r["kernel"].count(5) for r in rs],
                      latency_vs_target=[r["latency_ms"] / r["target_ms"] - 1 for r in rs],
                      p_fused_sum=[sum(x[3] for x in r["p_block"]) for r in rs],
                      p_kernel5_sum=[sum(r["p_kernel5"]) for r in rs],
                      top_probability_mean=[r["top_probability_mean"] for r in rs])
    # early (stages 1-3, large feature maps, few channels) and late (4-6) halves, as the 6(b) block evidence of docs/search.md counts them
    half = n // 2
    for name, test in (("fused", lambda b: b == "fused_ibn"), ("depthwise", lambda b: b in ("ibn", "dwsep"))):
        summary[t][f"{name}_early"] = [sum(test(b) for b in r["block"][:half]) for r in rs]
        summary[t][f"{name}_late"] = [sum(test(b) for b in r["block"][half:]) for r in rs]
    summary[t]["kernel5_early"] = [r["kernel"][:half].count(5) for r in rs]
    summary[t]["kernel5_late"] = [r["kernel"][half:].count(5) for r in rs]
for t in targets:
    print(f"\n{t}: final policy per stage, mean +- std over the {len(seeds)} seeds' results with layers in that stage (chosen: of those)")
    print(f"{'stage':>5} {'P(conv)':>12} {'P(dwsep)':>12} {'P(IBN)':>12} {'P(fused)':>12} {'P(k=5)':>12} {'P(e=8)':>12}  "
          f"{'chosen F':>8} {'chosen k5':>9} {'chosen e8':>9}")
    for e in summary[t]["per_stage"]:
        print(f"{e['stage']:>5} " + " ".join(f"{pm(e['p_' + k]):>12}" for k in KINDS)
              + f" {pm(e['p_kernel5']):>12} {pm(e['p_expand8']):>12}  {e['chosen_fused']:>5}/{e['runs']} {e['chosen_kernel5']:>6}/{e['runs']}"
              + f" {e['chosen_expand8']:>6}/{e['chosen_expand']}")
    s = summary[t]
    print(f"  per network: fused IBN stages {pm(s['fused_stages'])}, depthwise (IBN + dwsep) stages {pm(s['depthwise_stages'])}, "
          f"kernel-5 stages {pm(s['kernel5_stages'])} (of {n}); policy mass on fused IBN summed over stages {pm(s['p_fused_sum'])}, "
          f"on kernel 5 {pm(s['p_kernel5_sum'])}; latency vs target {pm([100 * x for x in s['latency_vs_target']], '{:+.1f}')} %; "
          f"the policy's most likely choice per decision has probability {pm(s['top_probability_mean'], '{:.3f}')} on average")
if len(targets) == 2:
    a, b = targets
    print(f"\n{a} - {b}, per stage: difference of the mean policy probabilities (* beyond the spread: |difference| > the sum "
          f"of the two stds over seeds, >= 0.1, with 2 or more results on each side)")
    print(f"{'stage':>5} " + " ".join(f"{'P(' + k + ')':>14}" for k in KINDS) + f" {'P(k=5)':>14}")
    diffs = []
    for ea, eb in zip(summary[a]["per_stage"], summary[b]["per_stage"]):
        cells, d = [], dict(stage=ea["stage"])
        for key in [f"p_{k}" for k in KINDS] + ["p_kernel5"]:
            x = st.mean(ea[key]) - st.mean(eb[key]) if ea[key] and eb[key] else float("nan")
            beyond = abs(x) > sd(ea[key]) + sd(eb[key]) and abs(x) >= 0.1 and min(len(ea[key]), len(eb[key])) >= 2
            d[key] = dict(difference=x, beyond_spread=beyond)
            cells.append(f"{x:>+13.2f}{'*' if beyond else ' '}")
        diffs.append(d)
        print(f"{ea['stage']:>5} " + " ".join(cells))
    print(f"\nper network, stages 1-{n // 2} and {n // 2 + 1}-{n} (mean +- std over seeds; * as above)")
    totals = {}
    for key in ("fused_early", "fused_late", "depthwise_early", "depthwise_late", "kernel5_early", "kernel5_late",
                "fused_stages", "depthwise_stages", "kernel5_stages"):
        va, vb = summary[a][key], summary[b][key]
        x = st.mean(va) - st.mean(vb)
        beyond = abs(x) > sd(va) + sd(vb) and abs(x) >= 0.1
        totals[key] = dict(difference=x, beyond_spread=beyond)
        print(f"  {key:16} {a} {pm(va)} ({' '.join(map(str, va))}), {b} {pm(vb)} ({' '.join(map(str, vb))}): "
              f"{x:+.2f}{'*' if beyond else ''}")
    summary["difference"] = dict(of=f"{a} - {b}", per_stage=diffs, totals=totals)
# Each target's results priced on every target (the APM, as in the searches): is one target's choice
# also a network at the other's target, or slower there than the network the other search chose?
if os.access(estimate, os.X_OK):
    target_ms = {t: next(r["target_ms"] for r in rows if r["target"] == t) for t in targets}
    with open(os.path.join(out, "archs.txt"), "w") as f:
        for r in rows: f.write(f"edgetpu:{r['arch']}\n")
    for t in targets:
        csv = subprocess.run([estimate, "--target", t, "--estimator", "apm", "--batch", os.path.join(out, "archs.txt")],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[1:]
        for r, line in zip(rows, csv):  # the spec holds commas: latency_ms is the 4th field from the end
            r.setdefault("priced_ms", {})[t] = float(line.split(",")[-4])
    print("\neach result priced on every target (APM; in brackets: relative to that target's latency target)")
    print(f"{'searched for':12} {'seed':>4} " + " ".join(f"{t + ' ms':>22}" for t in targets))
    for r in rows:
        print(f"{r['target']:12} {r['seed']:>4} " + " ".join(
            f"{r['priced_ms'][t]:>12.3f} ({100 * (r['priced_ms'][t] / target_ms[t] - 1):>+6.1f}%)" for t in targets))
    for t in targets:
        for u in targets:
            v = [100 * (r["priced_ms"][u] / target_ms[u] - 1) for r in rows if r["target"] == t]
            summary[t][f"priced_on_{u}_vs_target_pct"] = v
            print(f"  searched for {t}, on {u}: {pm(v, '{:+.1f}')} % of its target")
    # The reference: uniformly drawn architectures of the space (python's generator, seed 1; each stage's
    # six decisions uniform, as the space's own sampler draws them) within +-5% of one target, priced on
    # the other: how far apart the two devices' latencies are for networks chosen without any search.
    if REFERENCE > 0:
        g = random.Random(1)
        vals = [("block", KINDS), ("kernel", ["3", "5"]), ("expand", ["4", "8"]), ("skip", ["identity", "none"]),
                ("width", ["0.75", "1", "1.25"]), ("layers", ["-1", "0", "+1"])]
        draws = ["/".join(",".join(f"{k}={g.choice(v)}" for k, v in vals) for _ in range(n)) for _ in range(REFERENCE)]
        with open(os.path.join(out, "random_archs.txt"), "w") as f:
            for a_ in draws: f.write(f"edgetpu:{a_}\n")
        lat = {}
        for t in targets:
            csv = subprocess.run([estimate, "--target", t, "--estimator", "apm", "--batch", os.path.join(out, "random_archs.txt")],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[1:]
            lat[t] = [float(line.split(",")[-4]) for line in csv]
        print(f"\nreference: {REFERENCE} uniformly drawn architectures (seed 1); of those within +-5% of one target, "
              f"their latency on the other relative to its target")
        summary["random_reference"] = dict(draws=REFERENCE, seed=1)
        for t in targets:
            at = [i for i in range(REFERENCE) if abs(lat[t][i] / target_ms[t] - 1) <= 0.05]
            for u in targets:
                if u == t or not at: continue
                rel = sorted(100 * (lat[u][i] / target_ms[u] - 1) for i in at)
                q = lambda p: rel[round(p * (len(rel) - 1))]
                within = sum(abs(x) <= 5 for x in rel) / len(rel)
                searched = sorted(summary[t][f"priced_on_{u}_vs_target_pct"])
                above = [sum(x < y for x in rel) / len(rel) for y in searched]  # each search result's percentile
                summary["random_reference"][f"{t}_on_{u}"] = dict(
                    at_target=len(at), within_5pct=within, p10=q(0.1), median=q(0.5), p90=q(0.9),
                    search_results_percentile=above)
                print(f"  {len(at)} at the {t} target, on {u}: {100 * within:.1f}% within +-5%, median {q(0.5):+.1f}%, "
                      f"10-90% {q(0.1):+.1f}% to {q(0.9):+.1f}%; the {t} searches' results lie at percentiles "
                      + " ".join(f"{100 * x:.0f}" for x in above) + " of these")
summary["settings"] = dict(steps=int(steps), tunas_beta=float(beta), seeds=[int(s) for s in seeds], targets=targets,
                           latency_target="each target's APM latency of EfficientNet-EdgeTPU-S (no --latency-ms)")
json.dump(dict(summary=summary, rows=rows), open(os.path.join(out, "summary.json"), "w"), indent=1)
with open(os.path.join(out, "summary.csv"), "w") as f:
    f.write("target,seed,latency_ms,target_ms,most_likely_latency_ms,oneshot_accuracy,cpu_s,stage,block,kernel,expand,"
            "p_conv,p_dwsep,p_ibn,p_fused_ibn,p_kernel5,p_expand8,arch\n")
    for r in rows:
        for i in range(n):
            f.write(f"{r['target']},{r['seed']},{r['latency_ms']:.4f},{r['target_ms']:.4f},{r['most_likely_latency_ms']:.4f},"
                    f"{r['oneshot_accuracy']:.4f},{r['cpu_s']:.1f},{i + 1},{r['block'][i]},{r['kernel'][i] or ''},{r['expand'][i] or ''},"
                    + ",".join(f"{p:.4f}" for p in r["p_block"][i]) + f",{r['p_kernel5'][i]:.4f},{r['p_expand8'][i]:.4f},"
                    f"\"{r['arch']}\"\n")
EOF
