"""The report's tables: results grouped by configuration (mean and std over seeds), the best row,
the paper's baselines and the paired comparison over seeds.

A configuration is a job's kind plus its hyperparameters (epochs, batch_size, learning_rate,
weight_decay, warmup_steps, and the strategy for heads); the seeds (init_seed, data_seed) and the
run directory are what varies inside one configuration.
"""
import math

import numpy as np
import pandas as pd

from runio import HYPER_COLUMNS, STRATEGIES, TABLE_METRICS
from stats import paired_t

VAL_METRICS = ["val_loss", "val_accAll"]
# de Gibert et al. 2018, accuracy on the same test split, as the notebook quotes them.
BASELINES = [
    ("SVM", 0.69, 0.73, 0.71),
    ("CNN", 0.55, 0.79, 0.66),
    ("LSTM", 0.71, 0.75, 0.73),
]
SEED_COLUMNS = ["init_seed", "data_seed"]
# The notebook's own results (HuggingFace, one seed): eval_train_loss, eval_loss, eval_accHate,
# eval_accNoHate, eval_accAll per epochs / per strategy.
NOTEBOOK_FINETUNE = [
    ("2", 0.150157, 0.438262, 0.807531, 0.836820, 0.822176),
    ("3", 0.048003, 0.556381, 0.799163, 0.853556, 0.826360),
    ("4", 0.013872, 0.701802, 0.861925, 0.820084, 0.841004),
]
NOTEBOOK_HEAD = [
    ("CLS", 0.549668, 0.574593, 0.786611, 0.673640, 0.730126),
    ("LAST_MEAN", 0.540307, 0.559487, 0.836820, 0.698745, 0.767782),
    ("LAST_MAX", 0.601751, 0.612578, 0.828452, 0.682008, 0.755230),
    ("LAST2_MEAN", 0.511449, 0.542598, 0.811715, 0.686192, 0.748954),
    ("LAST2_MAX", 0.585415, 0.599830, 0.824268, 0.686192, 0.755230),
]


def key_columns(kind):
    return (["strategy"] if kind == "head" else []) + HYPER_COLUMNS


def _short(col):
    return {"batch_size": "bs", "learning_rate": "lr", "weight_decay": "wd",
            "warmup_steps": "warmup"}.get(col, col)


def _fmt_value(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def config_table(ok, kind):
    """One row per configuration of `kind` ("finetune" or "head") among the ok rows.

    Columns: config (label), the key columns, n, and <metric>_mean / <metric>_std for the table
    metrics and the validation metrics (std is the sample std, ddof=1; nan when n == 1).
    Fine-tuning rows are sorted by epochs, heads in the notebook's strategy order.
    """
    df = ok[ok["kind"] == kind]
    keys = key_columns(kind)
    metrics = TABLE_METRICS + VAL_METRICS
    if df.empty:
        cols = ["config"] + keys + ["n"] + [f"{m}_{s}" for m in metrics for s in ("mean", "std")]
        return pd.DataFrame(columns=cols)
    g = df.groupby(keys, dropna=False, sort=False)
    out = g[metrics].agg(["mean", "std"])
    out.columns = [f"{m}_{s}" for m, s in out.columns]
    out.insert(0, "n", g.size())
    out = out.reset_index()
    primary = "strategy" if kind == "head" else "epochs"
    varying = [c for c in keys if c != primary and out[c].nunique(dropna=False) > 1]
    out.insert(0, "config", [
        ", ".join([_fmt_value(r[primary])] + [f"{_short(c)}={_fmt_value(r[c])}" for c in varying])
        for _, r in out.iterrows()])
    if kind == "head":
        order = {s: i for i, s in enumerate(STRATEGIES)}
        out["_o"] = out["strategy"].map(lambda s: order.get(s, len(order)))
        out = out.sort_values(["_o"] + HYPER_COLUMNS, kind="stable").drop(columns="_o")
    else:
        out = out.sort_values(HYPER_COLUMNS, kind="stable")
    return out.reset_index(drop=True)


def criterion_for(ok):
    """ "val_loss" when every ok job has a validation loss, else "eval_loss" (the notebook's)."""
    if not ok.empty and ok["val_loss"].notna().all():
        return "val_loss"
    return "eval_loss"


def best_index(table, criterion):
    """Index of the row with the lowest mean criterion, or None for an empty table."""
    col = f"{criterion}_mean"
    if table.empty or table[col].isna().all():
        return None
    return int(table[col].astype(float).idxmin())


def rows_of(ok, kind, table_row):
    """The ok rows belonging to one configuration row of config_table(ok, kind)."""
    df = ok[ok["kind"] == kind]
    mask = np.ones(len(df), dtype=bool)
    for c in key_columns(kind):
        v = table_row[c]
        col = df[c]
        mask &= (col.isna().to_numpy() if pd.isna(v) else (col == v).to_numpy())
    return df[mask]


def per_seed(rows, metric):
    """{(init_seed, data_seed): metric}, averaging jobs that share a seed pair (e.g. two runs)."""
    g = rows.groupby(SEED_COLUMNS)[metric].mean()
    return {k: float(v) for k, v in g.items()}


def paired_comparison(ok, ft_row, head_row, metrics=("eval_accAll", "eval_loss")):
    """Paired differences (fine-tune minus head) over seed pairs present in both configurations.

    Returns {metric: (PairedT, seeds)} where seeds are the matched (init_seed, data_seed) pairs.
    """
    ft, hd = rows_of(ok, "finetune", ft_row), rows_of(ok, "head", head_row)
    out = {}
    for m in metrics:
        a, b = per_seed(ft, m), per_seed(hd, m)
        seeds = sorted(set(a) & set(b))
        out[m] = (paired_t([a[s] - b[s] for s in seeds]), seeds)
    return out


def fmt_mean_std(mean, std, n, digits=4):
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if n > 1 and not math.isnan(std):
        return f"{mean:.{digits}f} ± {std:.{digits}f}"
    return f"{mean:.{digits}f}"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def config_markdown(table, kind, criterion, best):
    """The notebook's table for one kind, as markdown, with the best row marked "**best**"."""
    header = ["epochs" if kind == "finetune" else "strategy", "n"]
    metrics = list(TABLE_METRICS)
    if criterion == "val_loss":
        metrics += VAL_METRICS
    header += metrics + ["best"]
    rows = []
    for i, r in table.iterrows():
        n = int(r["n"])
        cells = [r["config"], n] + [fmt_mean_std(r[f"{m}_mean"], r[f"{m}_std"], n)
                                    for m in metrics]
        cells.append("**best**" if i == best else "")
        rows.append(cells)
    return markdown_table(header, rows)


def baselines_markdown(entries):
    """entries: (name, accHate, accNoHate, accAll) for our best rows; the paper's follow."""
    rows = [[name] + [("–" if v is None or math.isnan(v) else f"{v:.3f}") for v in vals]
            for name, *vals in entries]
    rows += [[f"{n} (de Gibert et al. 2018)", f"{h:.2f}", f"{nh:.2f}", f"{a:.2f}"]
             for n, h, nh, a in BASELINES]
    return markdown_table(["model", "accuracy hate", "accuracy noHate", "accuracy all"], rows)


def notebook_markdown():
    """The notebook's two tables (one seed each), for reference."""
    header = TABLE_METRICS
    ft = markdown_table(["epochs"] + header,
                        [[c] + [f"{v:.4f}" for v in vals] for c, *vals in NOTEBOOK_FINETUNE])
    hd = markdown_table(["strategy"] + header,
                        [[c] + [f"{v:.4f}" for v in vals] for c, *vals in NOTEBOOK_HEAD])
    return ft + "\n\n" + hd
