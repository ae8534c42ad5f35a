"""The report's figures (PNG, matplotlib's Agg backend).

Each function writes one file into `out` and returns its file name, or raises Skip with the
reason when its inputs are missing (report.py turns that into a note in report.md):
  learning_curves    per configuration, each job's train loss vs step and its test eval
                     loss per epoch as markers
  accuracy_by_config accuracy (all / hate / noHate) per configuration, error bars = std over seeds
  confusion_matrices one test-split confusion matrix per job, in a grid
  embeddings_pca     2-D PCA of embeddings.h5 per strategy and split, coloured by label
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from runio import STRATEGIES, read_embeddings  # noqa: E402


class Skip(Exception):
    """A figure whose inputs are missing; the message says which."""


def _grid(n, width=4.0, height=3.0, max_cols=4):
    cols = min(max_cols, max(1, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _save(fig, out, name):
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    return name


def learning_curves(panels, out, name="learning_curves.png"):
    """panels: list of (title, [(job label, DataFrame with kind, step, loss)]), one panel per
    configuration; each job is a line (train loss) with its eval losses as markers."""
    panels = [(t, [(l, h) for l, h in jobs if h is not None and not h.empty])
              for t, jobs in panels]
    panels = [(t, jobs) for t, jobs in panels if jobs]
    if not panels:
        raise Skip("no history.csv (nor jobs/*/history.csv) in the run directories")
    fig, axes = _grid(len(panels))
    for ax, (title, jobs) in zip(axes, panels):
        for i, (label, h) in enumerate(jobs):
            tr = h[h["kind"] == "train"].sort_values("step")
            ev = h[h["kind"] == "eval"].sort_values("step")
            color = f"C{i % 10}"
            ax.plot(tr["step"], tr["loss"], lw=1, color=color, label=label)
            if not ev.empty:
                ax.plot(ev["step"], ev["loss"], "o", color=color, ms=5,
                        label="_nolegend_")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("loss (line: train; dots: eval per epoch)", fontsize=7)
        ax.grid(alpha=0.3)
        if len(jobs) <= 4:
            ax.legend(fontsize=6)
    return _save(fig, out, name)


def accuracy_by_config(tables, out, name="accuracy_by_config.png"):
    """tables: list of (title, config_table DataFrame)."""
    tables = [(t, df) for t, df in tables if not df.empty]
    if not tables:
        raise Skip("no ok jobs to plot")
    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 4), squeeze=False)
    metrics = [("eval_accAll", "all"), ("eval_accHate", "hate"), ("eval_accNoHate", "noHate")]
    for ax, (title, df) in zip(axes[0], tables):
        x = np.arange(len(df))
        w = 0.8 / len(metrics)
        for i, (m, lab) in enumerate(metrics):
            err = df[f"{m}_std"].fillna(0).to_numpy(dtype=float)
            ax.bar(x + (i - 1) * w, df[f"{m}_mean"].to_numpy(dtype=float), w, yerr=err,
                   capsize=3, label=f"accuracy {lab}")
        ax.set_xticks(x)
        ax.set_xticklabels(df["config"], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(f"{title} (error bars: std over seeds)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    return _save(fig, out, name)


def confusion_matrices(matrices, out, name="confusion_matrices.png"):
    """matrices: list of (label, 2x2 array: rows true 0=noHate/1=hate, cols predicted)."""
    if not matrices:
        raise Skip("no confusion matrices (results.json and jobs/*/predictions.csv missing)")
    fig, axes = _grid(len(matrices), width=3.0, height=3.0)
    ticks = ["noHate", "hate"]
    for ax, (label, m) in zip(axes, matrices):
        m = np.asarray(m, dtype=float)
        ax.imshow(m, cmap="Blues")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center",
                        color="white" if m[i, j] > m.max() / 2 else "black")
        ax.set_xticks([0, 1])
        ax.set_xticklabels(ticks)
        ax.set_yticks([0, 1])
        ax.set_yticklabels(ticks)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(label, fontsize=8)
    return _save(fig, out, name)


def pca_2d(x):
    """Projects rows of x onto their first two principal components (centred SVD)."""
    xc = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    proj = xc @ vt[:2].T
    if proj.shape[1] < 2:
        proj = np.hstack([proj, np.zeros((len(proj), 2 - proj.shape[1]))])
    return proj


def embeddings_pca(h5_path, out, name="embeddings_pca.png"):
    if h5_path is None or not h5_path.is_file():
        raise Skip("no embeddings.h5 in the run directories")
    try:
        splits, _ = read_embeddings(h5_path)
    except (OSError, KeyError, ValueError) as e:
        raise Skip(f"{h5_path}: unreadable ({e})") from e
    split_names = [s for s in ("train", "test") if s in splits] + \
        sorted(s for s in splits if s not in ("train", "test"))
    if not split_names:
        raise Skip(f"{h5_path}: no split groups with labels")
    found = {s for sp in splits.values() for s in sp if s != "labels"}
    strategies = [s for s in STRATEGIES if s in found] + sorted(found - set(STRATEGIES))
    if not strategies:
        raise Skip(f"{h5_path}: no strategy datasets")
    fig, axes = plt.subplots(len(split_names), len(strategies),
                             figsize=(3.2 * len(strategies), 3.0 * len(split_names)),
                             squeeze=False)
    for r, split in enumerate(split_names):
        labels = splits[split]["labels"]
        for c, strat in enumerate(strategies):
            ax = axes[r][c]
            x = splits[split].get(strat)
            if x is None or len(x) < 2:
                ax.set_visible(False)
                continue
            p = pca_2d(x)
            for lab, col, txt in ((0, "C0", "noHate"), (1, "C3", "hate")):
                sel = labels == lab
                ax.scatter(p[sel, 0], p[sel, 1], s=4, c=col, alpha=0.5, label=txt)
            ax.set_title(f"{strat} ({split})", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].legend(fontsize=7, markerscale=3)
    return _save(fig, out, name)
