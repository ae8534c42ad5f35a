#!/usr/bin/env python3
"""usage: /usr/bin/python3 analysis/compare.py RUN_A RUN_B

Says what differs between two bertgrid run directories (e.g. fp32 vs bf16, CPU vs GPU):
  - config.toml keys whose values differ, or that only one run has;
  - manifest.json: config_hash, the versions, the validation flag;
  - per-job metrics, matched by job_id: the largest absolute difference of each metric (and
    which job), status changes, jobs only in one run;
  - learning curves (history.csv): the largest absolute loss difference at the same
    (job, kind, step), per job and overall, and steps only one run logged;
  - test predictions (jobs/<id>/predictions.csv): how many predicted labels differ, the largest
    p_hate difference.
Exit status: 0 after printing the report (differences are not errors), 1 when a run directory
or its results.csv is missing, 2 for bad arguments.
"""
import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

from runio import METRIC_COLUMNS, RunError, load_run, read_config  # noqa: E402

SETTING_COLUMNS = ["kind", "epochs", "strategy", "init_seed", "data_seed", "batch_size",
                   "learning_rate", "weight_decay", "warmup_steps"]


def flatten(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def dict_diff(a, b):
    """[(key, value in a or None, value in b or None)] for keys whose values differ."""
    fa, fb = flatten(a), flatten(b)
    missing = object()
    out = []
    for k in sorted(set(fa) | set(fb)):
        va, vb = fa.get(k, missing), fb.get(k, missing)
        if va != vb:
            out.append((k, None if va is missing else va, None if vb is missing else vb))
    return out


def _show(v):
    return "(absent)" if v is None else repr(v)


def config_section(a, b, lines):
    lines.append("== config.toml")
    ca, cb = _load_config(a, lines), _load_config(b, lines)
    if ca is None or cb is None:
        return []
    diffs = dict_diff(ca, cb)
    lines += [f"  {k}: {_show(x)} -> {_show(y)}" for k, x, y in diffs] or ["  identical"]
    return diffs


def _load_config(run, lines):
    try:
        cfg = read_config(run.path / "config.toml")
    except Exception as e:  # a malformed file: say so and go on with the rest
        lines.append(f"  {run.path / 'config.toml'}: unreadable ({e})")
        return None
    if cfg is None:
        lines.append(f"  {run.path / 'config.toml'}: missing")
    return cfg


def manifest_section(a, b, lines):
    lines.append("== manifest.json")
    if a.manifest is None or b.manifest is None:
        for r in (a, b):
            if r.manifest is None:
                lines.append(f"  {r.path / 'manifest.json'}: missing or unreadable")
        return []
    pick = lambda m: {k: v for k, v in m.items() if k != "jobs"}  # noqa: E731
    diffs = dict_diff(pick(a.manifest), pick(b.manifest))
    lines += [f"  {k}: {_show(x)} -> {_show(y)}" for k, x, y in diffs] or ["  identical"]
    return diffs


def metric_diffs(a, b):
    """{metric: (max abs diff, job_id)} over jobs in both runs with a value in both."""
    ra, rb = a.results.set_index("job_id"), b.results.set_index("job_id")
    common = [j for j in ra.index if j in rb.index]
    out = {}
    for m in METRIC_COLUMNS + ["train_seconds"]:
        best = None
        for j in common:
            x, y = float(ra.at[j, m]), float(rb.at[j, m])
            if math.isnan(x) and math.isnan(y):
                continue
            d = math.inf if math.isnan(x) != math.isnan(y) else abs(x - y)
            if best is None or d > best[0]:
                best = (d, j)
        if best is not None:
            out[m] = best
    return out


def jobs_section(a, b, lines):
    lines.append("== jobs (results.csv, matched by job_id)")
    ja, jb = list(a.results["job_id"]), list(b.results["job_id"])
    only_a = [j for j in ja if j not in set(jb)]
    only_b = [j for j in jb if j not in set(ja)]
    common = [j for j in ja if j in set(jb)]
    lines.append(f"  {len(common)} jobs in both; {len(only_a)} only in A; {len(only_b)} only in B")
    if only_a:
        lines.append(f"  only in A: {', '.join(only_a)}")
    if only_b:
        lines.append(f"  only in B: {', '.join(only_b)}")
    ra, rb = a.results.set_index("job_id"), b.results.set_index("job_id")
    for j in common:
        if ra.at[j, "status"] != rb.at[j, "status"]:
            lines.append(f"  status of {j}: {ra.at[j, 'status']} -> {rb.at[j, 'status']}")
        for c in SETTING_COLUMNS:
            x, y = ra.at[j, c], rb.at[j, c]
            if not (x == y or (pd.isna(x) and pd.isna(y))):
                lines.append(f"  setting {c} of {j}: {x!r} -> {y!r}")
    diffs = metric_diffs(a, b)
    if diffs:
        lines.append("  max |A - B| per metric:")
        for m, (d, j) in diffs.items():
            where = f" ({j})" if d > 0 else ""
            lines.append(f"    {m:20s} {d:.6g}{where}")
    return {"only_a": only_a, "only_b": only_b, "metrics": diffs}


def history_diffs(a, b):
    """({job_id: max abs loss diff at shared (kind, step)}, n steps only in A, only in B)."""
    keys = ["job_id", "kind", "step"]
    ha, hb = a.history[keys + ["loss"]], b.history[keys + ["loss"]]
    merged = ha.merge(hb, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    per_job = (both["loss_a"] - both["loss_b"]).abs().groupby(both["job_id"]).max()
    return ({j: float(v) for j, v in per_job.items()},
            int((merged["_merge"] == "left_only").sum()),
            int((merged["_merge"] == "right_only").sum()))


def history_section(a, b, lines):
    lines.append("== learning curves (history.csv, loss at the same job, kind, step)")
    if a.history is None or b.history is None:
        lines.append("  skipped: a run has no history")
        return None
    per_job, n_a, n_b = history_diffs(a, b)
    if per_job:
        worst = max(per_job, key=per_job.get)
        lines.append(f"  max |A - B| loss: {per_job[worst]:.6g} ({worst}); "
                     f"{len(per_job)} jobs compared")
        same = [j for j, d in per_job.items() if d == 0]
        for j, d in sorted(per_job.items()):
            if d != 0:
                lines.append(f"    {j:30s} {d:.6g}")
        if same:
            lines.append(f"    {len(same)} jobs with identical losses")
    else:
        lines.append("  no shared steps")
    if n_a or n_b:
        lines.append(f"  steps only in A: {n_a}; only in B: {n_b}")
    return per_job


def predictions_section(a, b, common, lines):
    lines.append("== test predictions (jobs/<id>/predictions.csv)")
    found = identical = 0
    for j in common:
        pa, pb = (r.path / "jobs" / j / "predictions.csv" for r in (a, b))
        if not (pa.is_file() and pb.is_file()):
            continue
        try:
            da, db = (pd.read_csv(x, dtype={"file_id": str}) for x in (pa, pb))
            m = da.merge(db, on="file_id", suffixes=("_a", "_b"))
            flips = int((m["predicted_a"] != m["predicted_b"]).sum())
            dp = float((m["p_hate_a"] - m["p_hate_b"]).abs().max()) if len(m) else 0.0
        except (ValueError, KeyError, pd.errors.ParserError) as e:
            lines.append(f"  {j}: unreadable predictions ({e})")
            continue
        found += 1
        if flips == 0 and dp == 0:
            identical += 1
            continue
        lines.append(f"  {j:30s} {flips} of {len(m)} predictions differ; max |p_hate A - B| "
                     f"{dp:.6g}")
    if not found:
        lines.append("  none to compare")
    elif identical:
        lines.append(f"  {identical} of {found} jobs with identical predictions")


def compare(a, b):
    """The report's lines and a summary dict (used by the tests)."""
    lines = [f"A: {a.path}", f"B: {b.path}"]
    for tag, r in (("A", a), ("B", b)):
        lines += [f"  warning ({tag}): {w}" for w in r.warnings]
    summary = {"config": config_section(a, b, lines), "manifest": manifest_section(a, b, lines)}
    summary.update(jobs_section(a, b, lines))
    summary["history"] = history_section(a, b, lines)
    common = [j for j in a.results["job_id"] if j in set(b.results["job_id"])]
    predictions_section(a, b, common, lines)
    return lines, summary


def main(argv=None):
    p = argparse.ArgumentParser(prog="compare.py", description=__doc__.split("\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_a", metavar="RUN_A")
    p.add_argument("run_b", metavar="RUN_B")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        a, b = load_run(args.run_a), load_run(args.run_b)
    except RunError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 1
    lines, _ = compare(a, b)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
