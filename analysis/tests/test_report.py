"""report.py on synthetic run directories (fixture_run.py): tables, best rows, the paired test,
report.md, the figures, and the messages for partial and missing runs."""
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import fixture_run
import tables
from runio import RunError, load_run

REPORT = Path(__file__).resolve().parent.parent / "report.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ["learning_curves.png", "accuracy_by_config.png", "confusion_matrices.png",
           "embeddings_pca.png"]


def run_report(*args):
    return subprocess.run([sys.executable, str(REPORT), *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def ok_rows(*paths):
    return pd.concat([load_run(p).ok() for p in paths], ignore_index=True)


def row(table, config):
    return table[table["config"] == config].iloc[0]


def test_finetune_table_means_and_stds(tmp_path):
    ok = ok_rows(fixture_run.make_run(tmp_path / "run"))
    t = tables.config_table(ok, "finetune")
    assert list(t["config"]) == ["2", "3", "4"]
    r = row(t, "3")
    assert r["n"] == 3
    # accAll 0.83, 0.86, 0.84: mean 0.843333, sample std sqrt(4.6667e-4 / 2) = 0.0152753.
    assert r["eval_accAll_mean"] == pytest.approx(0.8433333333, abs=1e-9)
    assert r["eval_accAll_std"] == pytest.approx(0.0152752523, abs=1e-9)
    assert r["eval_loss_mean"] == pytest.approx(0.41, abs=1e-12)
    assert r["eval_loss_std"] == pytest.approx(0.01, abs=1e-12)
    assert r["eval_train_loss_mean"] == pytest.approx(0.051, abs=1e-12)
    assert r["eval_accHate_mean"] == pytest.approx(0.8633333333, abs=1e-9)


def test_head_table_in_notebook_order(tmp_path):
    ok = ok_rows(fixture_run.make_run(tmp_path / "run"))
    t = tables.config_table(ok, "head")
    assert list(t["config"]) == ["CLS", "LAST_MEAN", "LAST_MAX", "LAST2_MEAN", "LAST2_MAX"]
    r = row(t, "CLS")
    assert r["eval_loss_mean"] == pytest.approx(0.5733333333, abs=1e-9)
    assert r["eval_loss_std"] == pytest.approx(0.0057735027, abs=1e-9)


def test_best_row_by_eval_loss_without_validation(tmp_path):
    ok = ok_rows(fixture_run.make_run(tmp_path / "run"))
    assert tables.criterion_for(ok) == "eval_loss"
    ft, hd = tables.config_table(ok, "finetune"), tables.config_table(ok, "head")
    assert ft.loc[tables.best_index(ft, "eval_loss"), "config"] == "3"
    assert hd.loc[tables.best_index(hd, "eval_loss"), "config"] == "LAST2_MEAN"


def test_best_row_by_val_loss_with_validation(tmp_path):
    ok = ok_rows(fixture_run.make_run(tmp_path / "run", validation=True))
    assert tables.criterion_for(ok) == "val_loss"
    ft, hd = tables.config_table(ok, "finetune"), tables.config_table(ok, "head")
    assert ft.loc[tables.best_index(ft, "val_loss"), "config"] == "2"
    assert hd.loc[tables.best_index(hd, "val_loss"), "config"] == "LAST_MEAN"


def test_paired_comparison_matches_hand_computation(tmp_path):
    ok = ok_rows(fixture_run.make_run(tmp_path / "run"))
    ft, hd = tables.config_table(ok, "finetune"), tables.config_table(ok, "head")
    res = tables.paired_comparison(ok, row(ft, "3"), row(hd, "LAST2_MEAN"))
    acc, seeds = res["eval_accAll"]
    assert seeds == [(42, 42), (43, 43), (44, 44)]
    # accAll differences 0.08, 0.09, 0.09 -> t = 26, df 2, p = 1 - 26 / sqrt(678).
    assert acc.n == 3
    assert acc.mean == pytest.approx(0.0866666667, abs=1e-9)
    assert acc.t == pytest.approx(26.0, rel=1e-6)
    assert acc.p == pytest.approx(1 - 26 / math.sqrt(678), rel=1e-6)
    # eval_loss differences -0.14, -0.11, -0.14: mean -0.13, std 0.0173205, t = -13.
    loss, _ = res["eval_loss"]
    assert loss.mean == pytest.approx(-0.13, abs=1e-9)
    assert loss.std == pytest.approx(0.0173205081, abs=1e-9)
    assert loss.t == pytest.approx(-13.0, rel=1e-6)


def test_report_md_holds_the_tables_and_figures(tmp_path):
    run = fixture_run.make_run(tmp_path / "run")
    res = run_report(run)
    assert res.returncode == 0, res.stderr
    md = (run / "report.md").read_text()
    assert md.strip() == res.stdout.strip()
    assert ("| 3 | 3 | 0.0510 ± 0.0010 | 0.4100 ± 0.0100 | 0.8633 ± 0.0153 | 0.8233 ± 0.0153 "
            "| 0.8433 ± 0.0153 | **best** |") in md
    assert "| LAST2_MEAN | 3 | 0.5500 ± 0.0000 | 0.5400 ± 0.0100 |" in md
    assert "lowest mean eval_loss on the test split" in md
    assert "| SVM (de Gibert et al. 2018) | 0.69 | 0.73 | 0.71 |" in md
    assert "| CNN (de Gibert et al. 2018) | 0.55 | 0.79 | 0.66 |" in md
    assert "| LSTM (de Gibert et al. 2018) | 0.71 | 0.75 | 0.73 |" in md
    assert "| 2 | 0.1502 | 0.4383 | 0.8075 | 0.8368 | 0.8222 |" in md         # the notebook's
    assert "| LAST_MEAN | 0.5403 | 0.5595 | 0.8368 | 0.6987 | 0.7678 |" in md
    assert "| fine-tuning (epochs 3) | 0.863 | 0.823 | 0.843 |" in md
    assert "| eval_accAll | 3 | 0.0867 | 0.0058 | 26.000 | 0.00148 |" in md
    assert "| eval_loss | 3 | -0.1300 | 0.0173 | -13.000 |" in md
    assert "| embeddings + head (LAST2_MEAN) | 0.777 | 0.737 | 0.757 |" in md
    for name in FIGURES:
        assert f"]({name})" in md
        data = (run / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 5000


def test_figures_decode_as_images(tmp_path):
    import matplotlib.image as mpimg
    run = fixture_run.make_run(tmp_path / "run", seeds=(0,))
    assert run_report(run).returncode == 0
    for name in FIGURES:
        img = mpimg.imread(run / name)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100


def test_report_uses_val_loss_when_there_is_a_validation_split(tmp_path):
    run = fixture_run.make_run(tmp_path / "run", validation=True)
    res = run_report(run)
    assert res.returncode == 0, res.stderr
    md = (run / "report.md").read_text()
    assert "lowest mean val_loss (validation split)" in md
    assert "| val_loss | val_accAll | best |" in md
    best = [line for line in md.splitlines() if line.endswith("| **best** |")]
    assert [b.split(" | ")[0] for b in best] == ["| 2", "| LAST_MEAN"]


def test_seeds_across_run_dirs_pool_like_one_run(tmp_path):
    a = fixture_run.make_run(tmp_path / "a", seeds=(0, 1))
    b = fixture_run.make_run(tmp_path / "b", seeds=(2,))
    out = tmp_path / "out"
    res = run_report(a, b, "--out", out)
    assert res.returncode == 0, res.stderr
    md = (out / "report.md").read_text()
    assert "| 3 | 3 | 0.0510 ± 0.0010 | 0.4100 ± 0.0100 |" in md
    assert "| eval_accAll | 3 | 0.0867 | 0.0058 | 26.000 | 0.00148 |" in md
    assert not (a / "report.md").exists()
    assert all((out / f).is_file() for f in FIGURES)


def test_one_seed_says_no_test_is_possible(tmp_path):
    run = fixture_run.make_run(tmp_path / "run", seeds=(1,))
    res = run_report(run)
    assert res.returncode == 0
    md = (run / "report.md").read_text()
    assert "**No test possible: n = 1 matched seed pair**" in md
    assert "| 3 | 1 | 0.0510 | 0.4200 | 0.8800 | 0.8400 | 0.8600 | **best** |" in md


def test_partial_run_warns_and_reports_ok_jobs(tmp_path):
    run = fixture_run.make_run(tmp_path / "run")
    df = pd.read_csv(run / "results.csv", dtype=str, keep_default_na=False)
    df.loc[df["job_id"] == "ft-e2-s42", ["status", "error"]] = ["failed", "CUDA out of memory"]
    pend = df["job_id"] == "head-CLS-s44"
    df.loc[pend, ["status", "eval_loss", "eval_accAll"]] = ["pending", "", ""]
    df.to_csv(run / "results.csv", index=False)
    (run / "embeddings.h5").unlink()
    (run / "history.csv").unlink()
    for d in (run / "jobs").iterdir():
        (d / "history.csv").unlink()
    res = run_report(run)
    assert res.returncode == 0
    assert "Traceback" not in res.stderr
    assert "job ft-e2-s42 (finetune) is failed: CUDA out of memory" in res.stderr
    assert "job head-CLS-s44 (head) is pending" in res.stderr
    assert f"{run / 'embeddings.h5'}: missing" in res.stderr
    md = (run / "report.md").read_text()
    assert "## Warnings" in md and "CUDA out of memory" in md
    # Epochs 2 keeps seeds 43 and 44: accAll 0.84, 0.83 -> mean 0.835, std 0.0070711.
    assert "| 2 | 2 | 0.1515 ± 0.0007 | 0.4550 ± 0.0071 | 0.8550 ± 0.0071 | 0.8150 ± 0.0071 " \
           "| 0.8350 ± 0.0071 |  |" in md
    assert "- Learning curves: skipped (no history.csv" in md
    assert "- Embeddings, 2-D PCA: skipped (no embeddings.h5" in md
    assert (run / "confusion_matrices.png").is_file()
    assert not (run / "learning_curves.png").exists()


def test_missing_run_dir_is_a_clear_error(tmp_path):
    res = run_report(tmp_path / "nope")
    assert res.returncode == 1
    assert res.stderr.strip() == f"report.py: error: {tmp_path / 'nope'}: run directory not found"


def test_missing_results_csv_is_a_clear_error(tmp_path):
    run = fixture_run.make_run(tmp_path / "run")
    (run / "results.csv").unlink()
    res = run_report(run)
    assert res.returncode == 1
    assert f"{run / 'results.csv'}: missing" in res.stderr
    assert "Traceback" not in res.stderr
    with pytest.raises(RunError):
        load_run(run)


def test_results_csv_missing_columns_is_named(tmp_path):
    run = fixture_run.make_run(tmp_path / "run")
    df = pd.read_csv(run / "results.csv").drop(columns=["eval_accAll", "status"])
    df.to_csv(run / "results.csv", index=False)
    res = run_report(run)
    assert res.returncode == 1
    assert "missing columns eval_accAll, status" in res.stderr


def test_help_shows_usage():
    res = run_report("--help")
    assert res.returncode == 0
    assert res.stdout.startswith("usage: report.py [-h] [--out DIR] RUN_DIR [RUN_DIR ...]")


def test_confusion_from_predictions_when_results_json_is_missing(tmp_path):
    run = fixture_run.make_run(tmp_path / "run", seeds=(0,))
    (run / "results.json").unlink()
    loaded = load_run(run)
    assert loaded.confusion["ft-e2-s42"].tolist() == [[0, 0], [0, 1]]
    shutil.rmtree(run / "jobs")
    assert load_run(run).confusion == {}
