"""compare.py on two synthetic runs that differ in known ways (config, versions, one metric, one
history step, one missing job, one flipped prediction)."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import compare
import fixture_run
from runio import load_run

COMPARE = Path(__file__).resolve().parent.parent / "compare.py"


def run_compare(*args):
    return subprocess.run([sys.executable, str(COMPARE), *map(str, args)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def two_runs(tmp_path):
    a = fixture_run.make_run(tmp_path / "fp32", seeds=(0, 1))
    b = fixture_run.make_run(tmp_path / "bf16", seeds=(0, 1), precision="bf16", torch="2.3.0")
    df = pd.read_csv(b / "results.csv", dtype=str, keep_default_na=False)
    df.loc[df["job_id"] == "ft-e2-s42", "eval_accAll"] = "0.8"          # A has 0.82
    df.loc[df["job_id"] == "head-CLS-s43", "status"] = "failed"
    df = df[df["job_id"] != "head-LAST_MAX-s43"]
    df.to_csv(b / "results.csv", index=False)
    h = pd.read_csv(b / "history.csv")
    h.loc[(h["job_id"] == "ft-e3-s43") & (h["step"] == 4), "loss"] += 0.0125
    h = h[~((h["job_id"] == "ft-e4-s42") & (h["step"] == 40))]
    h.to_csv(b / "history.csv", index=False)
    (b / "jobs" / "ft-e2-s42" / "predictions.csv").write_text(
        "file_id,label,p_hate,predicted\na,1,0.4,0\n")
    return a, b


def test_detects_config_and_manifest_differences(two_runs):
    _, s = compare.compare(*map(load_run, two_runs))
    assert s["config"] == [("model.precision", "fp32", "bf16")]
    assert ("versions.torch", "1.13.1", "2.3.0") in s["manifest"]
    assert ("config_hash", "hash-fp32", "hash-bf16") in s["manifest"]
    assert len(s["manifest"]) == 2


def test_detects_metric_and_job_differences(two_runs):
    _, s = compare.compare(*map(load_run, two_runs))
    assert s["only_a"] == ["head-LAST_MAX-s43"] and s["only_b"] == []
    d, job = s["metrics"]["eval_accAll"]
    assert d == pytest.approx(0.02, abs=1e-12) and job == "ft-e2-s42"
    assert s["metrics"]["eval_loss"][0] == 0.0
    assert "val_loss" not in s["metrics"]          # empty in both runs


def test_detects_learning_curve_differences(two_runs):
    _, s = compare.compare(*map(load_run, two_runs))
    assert s["history"]["ft-e3-s43"] == pytest.approx(0.0125, abs=1e-9)
    assert all(v == 0 for j, v in s["history"].items() if j != "ft-e3-s43")
    per_job, only_a, only_b = compare.history_diffs(*map(load_run, two_runs))
    assert (only_a, only_b) == (2, 0)   # ft-e4-s42 step 40: a train and an eval entry


def test_cli_prints_the_differences(two_runs):
    res = run_compare(*two_runs)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "  model.precision: 'fp32' -> 'bf16'" in out
    assert "  versions.torch: '1.13.1' -> '2.3.0'" in out
    assert "  only in A: head-LAST_MAX-s43" in out
    assert "  status of head-CLS-s43: ok -> failed" in out
    assert "eval_accAll          0.02 (ft-e2-s42)" in out
    assert "  max |A - B| loss: 0.0125 (ft-e3-s43)" in out
    assert "  steps only in A: 2; only in B: 0" in out
    assert "ft-e2-s42                      1 of 1 predictions differ; max |p_hate A - B| 0.5" in out


def test_identical_runs_report_no_differences(tmp_path):
    a = fixture_run.make_run(tmp_path / "a", seeds=(0,))
    b = fixture_run.make_run(tmp_path / "b", seeds=(0,))
    res = run_compare(a, b)
    assert res.returncode == 0
    assert res.stdout.count("  identical") == 2
    assert "8 jobs in both; 0 only in A; 0 only in B" in res.stdout
    assert "8 jobs with identical losses" in res.stdout
    assert "8 of 8 jobs with identical predictions" in res.stdout


def test_missing_run_is_a_clear_error(tmp_path):
    a = fixture_run.make_run(tmp_path / "a", seeds=(0,))
    res = run_compare(a, tmp_path / "missing")
    assert res.returncode == 1
    missing = tmp_path / "missing"
    assert res.stderr.strip() == f"compare.py: error: {missing}: run directory not found"


def test_partial_run_compares_with_warnings(tmp_path):
    a = fixture_run.make_run(tmp_path / "a", seeds=(0,))
    b = fixture_run.make_run(tmp_path / "b", seeds=(0,))
    (b / "config.toml").unlink()
    (b / "history.csv").unlink()
    for d in (b / "jobs").iterdir():
        (d / "history.csv").unlink()
    res = run_compare(a, b)
    assert res.returncode == 0
    assert f"  {b / 'config.toml'}: missing" in res.stdout
    assert "  skipped: a run has no history" in res.stdout
    assert "Traceback" not in res.stderr
