"""Reading a bertgrid run directory (the layout `bertgrid run` writes) into pandas objects.

Provides load_run(path) -> Run, RunError (a missing directory or results.csv), the column
lists shared by report.py and compare.py, and read_config / read_embeddings helpers.
Partial runs load: what is missing or not ok becomes a line in Run.warnings.
"""
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

RESULT_COLUMNS = [
    "job_id", "kind", "epochs", "strategy", "init_seed", "data_seed", "batch_size",
    "learning_rate", "weight_decay", "warmup_steps", "eval_loss", "eval_accHate",
    "eval_accNoHate", "eval_accAll", "eval_precision_hate", "eval_recall_hate", "eval_f1_hate",
    "eval_train_loss", "val_loss", "val_accAll", "train_seconds", "status", "error",
]
# The notebook's table columns, in its order.
TABLE_METRICS = ["eval_train_loss", "eval_loss", "eval_accHate", "eval_accNoHate", "eval_accAll"]
METRIC_COLUMNS = [
    "eval_loss", "eval_accHate", "eval_accNoHate", "eval_accAll", "eval_precision_hate",
    "eval_recall_hate", "eval_f1_hate", "eval_train_loss", "val_loss", "val_accAll",
]
HYPER_COLUMNS = ["epochs", "batch_size", "learning_rate", "weight_decay", "warmup_steps"]
STRATEGIES = ["CLS", "LAST_MEAN", "LAST_MAX", "LAST2_MEAN", "LAST2_MAX"]
HISTORY_COLUMNS = ["kind", "step", "epoch", "loss", "lr", "grad_norm"]


class RunError(Exception):
    """A run directory that cannot be analysed at all (missing directory or results.csv)."""


@dataclass
class Run:
    path: Path
    results: pd.DataFrame                      # every row of results.csv
    manifest: dict = None
    history: pd.DataFrame = None               # job_id + HISTORY_COLUMNS, or None
    confusion: dict = field(default_factory=dict)  # job_id -> 2x2 np.ndarray (test split)
    warnings: list = field(default_factory=list)

    @property
    def name(self):
        return self.path.name

    def ok(self):
        """The rows with status "ok"."""
        return self.results[self.results["status"] == "ok"]


def _read_json(path, run):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        run.warnings.append(f"{path}: unreadable ({e})")
        return None


def _read_csv(path, run, required):
    try:
        df = pd.read_csv(path, dtype={"job_id": str})
    except (OSError, ValueError, pd.errors.ParserError) as e:
        run.warnings.append(f"{path}: unreadable ({e})")
        return None
    missing = [c for c in required if c not in df.columns]
    if missing:
        run.warnings.append(f"{path}: missing columns {', '.join(missing)}")
        return None
    return df


def _load_results(path):
    csv = path / "results.csv"
    if not csv.is_file():
        raise RunError(f"{csv}: missing (no results.csv; is {path} a bertgrid run directory?)")
    try:
        df = pd.read_csv(csv, dtype={"job_id": str, "kind": str, "strategy": str,
                                     "status": str, "error": str}, keep_default_na=True)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise RunError(f"{csv}: unreadable ({e})") from e
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise RunError(f"{csv}: missing columns {', '.join(missing)}")
    for c in ["strategy", "error", "status", "kind"]:
        df[c] = df[c].fillna("")
    for c in METRIC_COLUMNS + ["train_seconds", "learning_rate", "weight_decay"]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def _load_history(run):
    path = run.path / "history.csv"
    if path.is_file():
        return _read_csv(path, run, ["job_id"] + HISTORY_COLUMNS)
    parts = []
    for job_id in run.results["job_id"]:
        p = run.path / "jobs" / job_id / "history.csv"
        if p.is_file():
            df = _read_csv(p, run, HISTORY_COLUMNS)
            if df is not None:
                df.insert(0, "job_id", job_id)
                parts.append(df)
    if parts:
        run.warnings.append(f"{path}: missing; using jobs/*/history.csv")
        return pd.concat(parts, ignore_index=True)
    run.warnings.append(f"{path}: missing (no learning curves)")
    return None


def _load_confusion(run):
    out = {}
    path = run.path / "results.json"
    if path.is_file():
        doc = _read_json(path, run)
        for job in (doc or {}).get("jobs", []):
            m = job.get("confusion")
            if job.get("job_id") is not None and m is not None:
                arr = np.asarray(m, dtype=float)
                if arr.shape == (2, 2):
                    out[str(job["job_id"])] = arr
    else:
        run.warnings.append(f"{path}: missing; confusion matrices from jobs/*/predictions.csv")
    for job_id in run.ok()["job_id"]:
        if job_id in out:
            continue
        p = run.path / "jobs" / job_id / "predictions.csv"
        if p.is_file():
            df = _read_csv(p, run, ["label", "predicted"])
            if df is not None:
                m = np.zeros((2, 2))
                for t, pr in zip(df["label"].astype(int), df["predicted"].astype(int)):
                    if t in (0, 1) and pr in (0, 1):
                        m[t, pr] += 1
                out[job_id] = m
    return out


def load_run(path):
    """Loads a run directory; raises RunError when it or its results.csv is missing."""
    path = Path(path)
    if not path.exists():
        raise RunError(f"{path}: run directory not found")
    if not path.is_dir():
        raise RunError(f"{path}: not a directory")
    run = Run(path=path, results=_load_results(path))
    for name in ["config.toml", "manifest.json", "embeddings.h5"]:
        if not (path / name).is_file():
            run.warnings.append(f"{path / name}: missing")
    if (path / "manifest.json").is_file():
        run.manifest = _read_json(path / "manifest.json", run)
    not_ok = run.results[run.results["status"] != "ok"]
    for _, r in not_ok.iterrows():
        status = r["status"] or "(no status)"
        err = f": {r['error']}" if r["error"] else ""
        run.warnings.append(f"job {r['job_id']} ({r['kind']}) is {status}{err}")
    if run.results.empty:
        run.warnings.append(f"{path / 'results.csv'}: no jobs")
    run.history = _load_history(run)
    run.confusion = _load_confusion(run)
    return run


def read_config(path):
    """config.toml as a dict (tomllib on Python >= 3.11, else the toml module), or None."""
    path = Path(path)
    if not path.is_file():
        return None
    if sys.version_info >= (3, 11):
        import tomllib
        with open(path, "rb") as f:
            return tomllib.load(f)
    import toml  # Debian's python3-toml on older Pythons
    return toml.load(path)


def read_embeddings(path):
    """embeddings.h5 -> {split: {"labels": array, strategy: [N, dim] array}} plus root attrs."""
    import h5py
    splits, attrs = {}, {}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            attrs[k] = v.decode() if isinstance(v, bytes) else v
        for split in f:
            g = f[split]
            if not isinstance(g, h5py.Group) or "labels" not in g:
                continue
            entry = {"labels": np.asarray(g["labels"][()])}
            for s in g:
                if s not in ("labels", "file_ids") and g[s].ndim == 2:
                    entry[s] = np.asarray(g[s][()], dtype=np.float64)
            splits[split] = entry
    return splits, attrs
