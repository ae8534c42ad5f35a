#!/usr/bin/env python3
"""Whether two runs of one grid have the same results: every job ok in RUN_A, and RUN_B's
results.csv equal to it but for the train_seconds column (with --history, history.csv byte for
byte too). Prints "N jobs equal", or each differing cell on stderr and exits 1.

    tests/same_results.py [--history] RUN_A RUN_B
"""
import csv
import sys


def rows(path):
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    for r in table:
        r.pop("train_seconds")
    return table


def main(argv):
    history = "--history" in argv
    a_dir, b_dir = [x for x in argv if x != "--history"]
    a, b = rows(f"{a_dir}/results.csv"), rows(f"{b_dir}/results.csv")
    if not a or any(r["status"] != "ok" for r in a):
        sys.exit(f"{a_dir}: not every job ok: {[r['status'] for r in a]}")
    if a != b:
        for ra, rb in zip(a, b):
            for k in ra:
                if ra[k] != rb.get(k):
                    print(f"{ra['job_id']} {k}: {ra[k]} vs {rb.get(k)}", file=sys.stderr)
        sys.exit(f"{a_dir} and {b_dir} differ ({len(a)} vs {len(b)} rows)")
    if history:
        with open(f"{a_dir}/history.csv", "rb") as fa, open(f"{b_dir}/history.csv", "rb") as fb:
            if fa.read() != fb.read():
                sys.exit(f"{b_dir}/history.csv differs from {a_dir}'s")
    print(f"{len(a)} jobs equal")


if __name__ == "__main__":
    main(sys.argv[1:])
