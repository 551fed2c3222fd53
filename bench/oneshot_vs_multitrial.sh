#!/usr/bin/env bash
# One-shot (TuNAS) against multi-trial search, for one target at a fixed latency, one-shot with a
# fraction of multi-trial's CPU time (defaults: 1000 one-shot steps against 40 candidates, the
# multi-trial quick start's budget):
#   bash bench/oneshot_vs_multitrial.sh [BUILD_DIR] [OUT_DIR]      (builds nothing: accelnas-search must exist)
# For each search seed in $SEEDS it runs, single-threaded,
#   - accelnas-search --method oneshot ($STEPS steps), its most likely architecture trained from
#     scratch with 3 seeds (--oneshot-seeds 3),
#   - accelnas-search (multi-trial REINFORCE, TuNAS reward, --threads 1) with $BUDGET candidates, its
#     best trained with 3 seeds (--final-top 1 --final-seeds 3; seed 0 is the search's training),
# both with the same target, latency (--latency-ms $LATENCY_MS, the APM), --tunas-beta and proxy task
# (--epochs $EPOCHS --train-images $TRAIN_IMAGES, for the searches' candidates and every stand-alone training), and
# once the floor: $FLOOR random architectures within +-5% of the target latency, each trained with the
# same 3 seeds as the one-shot result (--random-floor). Every run is timed with /usr/bin/time -v (CPU
# time: user + system; wall) and the load average is sampled every 10 s while they run; all of them
# run at once ($OUT_DIR/*.log), so the wall-clock times include the others' load. Then it prints
# the table of docs/search.md ("Evidence: one-shot against multi-trial") and writes
# $OUT_DIR/summary.json and $OUT_DIR/summary.csv. SUMMARY_ONLY=1: only the table, from the runs already
# in OUT_DIR (a missing random-floor run is left out of it). RERANK=K (default 0: off) adds --rerank K to
# the one-shot searches (the K best in-band candidates trained once each, the best by validation kept);
# the table then shows the CPU of that stage (gathering and scoring the candidates, the K trainings),
# which the one-shot CPU column already includes. ONESHOT_ARGS adds options to the one-shot searches
# only (e.g. --distill). REUSE=DIR runs the one-shot searches only and copies the multi-trial searches
# and the random floor from DIR, an earlier run of this script with the same settings (their CPU
# times are then those of that run, measured under its load).
set -euo pipefail
build=${1:-build}
out=${2:-$(mktemp -d)}
tool=$build/examples/accelnas-search
SEEDS=${SEEDS:-1 2 3}
STEPS=${STEPS:-1000}
BUDGET=${BUDGET:-40}
FLOOR=${FLOOR:-5}
BETA=${BETA:--0.5}
TARGET=${TARGET:-coral-usb}
LATENCY_MS=${LATENCY_MS:-4.54}
EPOCHS=${EPOCHS:-1}
TRAIN_IMAGES=${TRAIN_IMAGES:-6000}
ONESHOT_ARGS=${ONESHOT_ARGS:-}
RERANK=${RERANK:-0}
[ "$RERANK" = 0 ] || ONESHOT_ARGS="$ONESHOT_ARGS --rerank $RERANK"
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
common=(--target "$TARGET" --latency-ms "$LATENCY_MS" --estimator apm --reward tunas --tunas-beta "$BETA" --threads 1
        --epochs "$EPOCHS" --train-images "$TRAIN_IMAGES")

# shellcheck source=bench/search_runs.sh
. "$(dirname "$0")/search_runs.sh"
run() { search_run "$tool" "$out" "$@"; }  # run NAME ARGS...: accelnas-search ARGS --out OUT/NAME, timed

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
[ -x "$tool" ] || { echo "no $tool (cmake --build $build --target accelnas-search)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "no /usr/bin/time (bash cmake/install-deps.sh installs it)" >&2; exit 1; }
start_load_sampler "$out"
pids=()
reuse=${REUSE:-}
for s in $SEEDS; do
  # shellcheck disable=SC2086
  run "oneshot-s$s" --method oneshot "${common[@]}" --steps "$STEPS" --oneshot-seeds 3 --seed "$s" $ONESHOT_ARGS & pids+=($!)
  if [ -n "$reuse" ]; then
    [ -f "$reuse/multitrial-s$s/best.json" ] || { echo "REUSE=$reuse holds no multitrial-s$s" >&2; exit 1; }
    rm -rf "${out:?}/multitrial-s$s"; cp -r "$reuse/multitrial-s$s" "$reuse/multitrial-s$s".* "$out/"
    continue
  fi
  run "multitrial-s$s" "${common[@]}" --controller reinforce --budget "$BUDGET" --final-top 1 --final-seeds 3 \
      --no-baselines --latency-band at-most --seed "$s" & pids+=($!)
done
first=$(echo "$SEEDS" | awk '{print $1}')
if [ -n "$reuse" ]; then
  [ -f "$reuse/random-floor/random_floor.json" ] || { echo "REUSE=$reuse holds no random-floor" >&2; exit 1; }
  rm -rf "${out:?}/random-floor"; cp -r "$reuse/random-floor" "$reuse/random-floor".* "$out/"
else
  run "random-floor" --method oneshot "${common[@]}" --random-floor "$FLOOR" --oneshot-seeds 3 --seed "$first" & pids+=($!)
fi
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status = 0 ] || { echo "a run failed: see $out/*.err" >&2; exit 1; }
fi

python3 - "$out" "$TARGET" "$LATENCY_MS" "$STEPS" "$BUDGET" "$BETA" "$SEEDS" "$EPOCHS" "$TRAIN_IMAGES" "$RERANK" "$ONESHOT_ARGS" "${REUSE:-}" <<'EOF'
import json, re, statistics as st, sys, os
out, target, t_ms, steps, budget, beta, seeds, epochs, train_images, rerank, oneshot_args, reuse = sys.argv[1:13]
seeds = seeds.split()
def cpu_wall(name):
    t = open(os.path.join(out, name + ".time")).read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t).group(1).split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
    return user + sys_, wall
def ms(v): return f"{st.mean(v):.4f} +- {st.stdev(v) if len(v) > 1 else 0:.4f}"
rows = []
for s in seeds:
    j = json.load(open(os.path.join(out, f"oneshot-s{s}", "oneshot.json")))
    cpu, wall = cpu_wall(f"oneshot-s{s}")
    rows.append(dict(method="oneshot", seed=int(s), latency_ms=j["latency_ms"], oneshot_accuracy=j["oneshot_accuracy"],
                     most_likely_latency_ms=j.get("most_likely_latency_ms"),
                     val=j["standalone_validation"], test=j["standalone_test"], cpu_s=cpu, wall_s=wall, arch=j["arch"]))
    if "rerank" in j:
        rr = j["rerank"]
        rows[-1].update(rerank_cpu_s=rr["pool_cpu_s"] + rr["training_cpu_s"], rerank_trained=sum(
            c["standalone_validation"] is not None for c in rr["candidates"]), rerank_pool=rr["pool"])
    b = json.load(open(os.path.join(out, f"multitrial-s{s}", "best.json")))
    f = b["final"][0]
    cpu, wall = cpu_wall(f"multitrial-s{s}")
    rows.append(dict(method="multi-trial", seed=int(s), latency_ms=list(f["latency_ms"].values())[0],
                     val=f["validation"]["per_seed"], test=f["test"]["per_seed"], cpu_s=cpu, wall_s=wall, arch=f["arch"],
                     target_reached=b["latency_target_reached"]))
floor = os.path.join(out, "random-floor", "random_floor.json")
floor_cpu = floor_wall = float("nan")
if os.path.exists(floor):
    for i, a in enumerate(json.load(open(floor))["architectures"]):
        rows.append(dict(method="random", seed=i + 1, latency_ms=a["latency_ms"], val=a["standalone_validation"],
                         test=a["standalone_test"], arch=a["arch"]))
    floor_cpu, floor_wall = cpu_wall("random-floor")
load = [float(l.split()[1]) for l in open(os.path.join(out, "load.txt")) if l.strip()]
print(f"target {target} {t_ms} ms (APM), tunas beta {beta}; proxy {epochs} epoch(s) on {train_images} training images; "
      f"one-shot {steps} steps" + (f" re-ranked (--rerank {rerank})" if rerank != "0" else "")
      + (f" ({oneshot_args.strip()})" if oneshot_args.strip() else "") + f", multi-trial {budget} candidates"
      + (f" (and the floor) from {reuse}" if reuse else "") + "; "
      f"load average during the runs: mean {st.mean(load):.1f}, min {min(load):.1f}, max {max(load):.1f} (2 cores)")
print(f"{'method':12} {'seed':>4} {'latency ms':>10} {'vs target':>9} {'validation (3 trainings)':>26} {'test (3 trainings)':>26} "
      f"{'CPU s':>7} {'wall s':>7}")
for r in rows:
    dev = r["latency_ms"] / float(t_ms) - 1
    print(f"{r['method']:12} {r['seed']:>4} {r['latency_ms']:>10.3f} {dev * 100:>+8.1f}% {ms(r['val']):>26} {ms(r['test']):>26} "
          f"{r.get('cpu_s', float('nan')):>7.0f} {r.get('wall_s', float('nan')):>7.0f}"
          + (f"  one-shot acc {r['oneshot_accuracy']:.3f}" if 'oneshot_accuracy' in r else "")
          + (f", argmax {r['most_likely_latency_ms']:.3f} ms" if r.get('most_likely_latency_ms') else "")
          + (f", re-ranking {r['rerank_trained']} trained of {r['rerank_pool']} in band, CPU {r['rerank_cpu_s']:.0f} s"
             if 'rerank_cpu_s' in r else ""))
summary = {}
for m in ("oneshot", "multi-trial", "random"):
    rs = [r for r in rows if r["method"] == m]
    if not rs: continue
    v = [st.mean(r["val"]) for r in rs]
    t = [st.mean(r["test"]) for r in rs]
    summary[m] = dict(runs=len(rs), latency_ms=[r["latency_ms"] for r in rs], validation_mean=st.mean(v),
                      validation_std=st.stdev(v) if len(v) > 1 else 0, test_mean=st.mean(t), test_std=st.stdev(t) if len(t) > 1 else 0)
    if m != "random":
        summary[m]["cpu_s"] = [r["cpu_s"] for r in rs]
        summary[m]["wall_s"] = [r["wall_s"] for r in rs]
    if all("rerank_cpu_s" in r for r in rs):
        summary[m]["rerank_cpu_s"] = [r["rerank_cpu_s"] for r in rs]
    print(f"{m:12} mean over {len(rs)} (of each one's mean): validation {ms(v)}, test {ms(t)}"
          + (f"; CPU {st.mean(summary[m]['cpu_s']):.0f} s, wall {st.mean(summary[m]['wall_s']):.0f} s per search" if m != 'random' else
             f"; the {len(rs)} x 3 trainings: CPU {floor_cpu:.0f} s, wall {floor_wall:.0f} s"))
if "oneshot" in summary and "multi-trial" in summary:
    ratio = st.mean(summary["oneshot"]["cpu_s"]) / st.mean(summary["multi-trial"]["cpu_s"])
    summary["cpu_ratio_oneshot_to_multitrial"] = ratio
    print(f"one-shot's CPU time per search: {ratio:.2f}x multi-trial's")
summary["load"] = dict(mean=st.mean(load), min=min(load), max=max(load))
summary["settings"] = dict(target=target, latency_ms=float(t_ms), steps=int(steps), budget=int(budget), tunas_beta=float(beta), seeds=seeds,
                           epochs=int(epochs), train_images=int(train_images), rerank=int(rerank),
                           oneshot_args=oneshot_args.split(), multi_trial_and_floor_from=reuse or None)
json.dump(dict(summary=summary, rows=rows), open(os.path.join(out, "summary.json"), "w"), indent=1)
with open(os.path.join(out, "summary.csv"), "w") as f:
    f.write("method,seed,latency_ms,validation_mean,validation_std,test_mean,test_std,cpu_s,wall_s,most_likely_latency_ms,arch\n")
    for r in rows:
        sd = lambda v: st.stdev(v) if len(v) > 1 else 0
        f.write(f"{r['method']},{r['seed']},{r['latency_ms']:.4f},{st.mean(r['val']):.4f},{sd(r['val']):.4f},"
                f"{st.mean(r['test']):.4f},{sd(r['test']):.4f},{r.get('cpu_s', '')},{r.get('wall_s', '')},"
                f"{r.get('most_likely_latency_ms') or ''},\"{r['arch']}\"\n")
EOF
