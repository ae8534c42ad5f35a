"""Compare two runs of one grid that differ only in a speed switch (fp32 against bf16 autocast,
CUDA graphs against none): per job, the training-loss curve (history.csv, the mean loss over each 10 logged steps) and the
final eval loss (results.csv). Compares curves, not accuracies (near chance they say little).

  python3 bench/compare_precision.py RUN_FP32 RUN_BF16 [--curve-tol 0.05] [--eval-tol 0.05]

Passes (exit 0) when, for every job, the mean |difference| of the logged training losses is at
most --curve-tol and the final eval losses differ by at most --eval-tol (absolute, in nats).
Between fp32 and bf16 dropout draws the same masks, so what differs is bf16 rounding alone;
with CUDA graphs the draws differ (graph-safe Philox offsets) and the curves agree to dropout
noise.
"""
import argparse
import csv
import sys
from collections import defaultdict


def read_history(run):
    curves = defaultdict(dict)
    with open(f"{run}/history.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "train":
                curves[row["job_id"]][int(row["step"])] = float(row["loss"])
    return curves


def read_eval(run):
    with open(f"{run}/results.csv", newline="") as f:
        return {r["job_id"]: float(r["eval_loss"]) for r in csv.DictReader(f) if r["status"] == "ok"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fp32")
    ap.add_argument("bf16")
    ap.add_argument("--curve-tol", type=float, default=0.05)
    ap.add_argument("--eval-tol", type=float, default=0.05)
    a = ap.parse_args()
    ca, cb = read_history(a.fp32), read_history(a.bf16)
    ea, eb = read_eval(a.fp32), read_eval(a.bf16)
    jobs = sorted(set(ea) | set(eb))
    ok = bool(jobs)
    print(f"{'job':46} {'steps':>5} {'mean|dloss|':>11} {'max|dloss|':>10} "
          f"{'eval fp32':>9} {'eval bf16':>9} {'|d|':>7}")
    for job in jobs:
        steps = sorted(set(ca.get(job, {})) & set(cb.get(job, {})))
        diffs = [abs(ca[job][s] - cb[job][s]) for s in steps]
        mean = sum(diffs) / len(diffs) if diffs else float("nan")
        worst = max(diffs) if diffs else float("nan")
        da = ea.get(job, float("nan"))
        db = eb.get(job, float("nan"))
        good = bool(diffs) and mean <= a.curve_tol and abs(da - db) <= a.eval_tol
        ok &= good
        print(f"{job[:46]:46} {len(steps):5d} {mean:11.4f} {worst:10.4f} {da:9.4f} {db:9.4f} "
              f"{abs(da - db):7.4f}{'' if good else '  OVER'}")
    print(f"bf16 against fp32: {'within' if ok else 'NOT within'} tolerance "
          f"(curve mean |d| <= {a.curve_tol}, eval loss |d| <= {a.eval_tol})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
