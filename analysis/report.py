#!/usr/bin/env python3
"""usage: /usr/bin/python3 analysis/report.py RUN_DIR [RUN_DIR ...] [--out DIR]

Summarises one or more bertgrid run directories (`bertgrid run` output) the way the notebook did:
  - fine-tuning by epochs and embeddings + head by strategy, with eval_train_loss, eval_loss,
    eval_accHate, eval_accNoHate, eval_accAll (mean ± std over seeds when there are several);
  - the best row of each, by val_loss when the run has a validation split, else by eval_loss;
  - the best rows beside de Gibert et al. 2018's SVM / CNN / LSTM baselines;
  - a paired comparison over seeds of the best fine-tuning configuration against the best
    embedding strategy (differences in eval_accAll and eval_loss, paired t-test);
  - figures: learning_curves.png, accuracy_by_config.png, confusion_matrices.png,
    embeddings_pca.png.
Prints the report and writes report.md plus the PNGs into --out (default: the first RUN_DIR).
Exit status: 0 (also for partial runs, with warnings), 1 when a RUN_DIR or its results.csv is
missing, 2 for bad arguments.
"""
import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

import figures  # noqa: E402
import tables  # noqa: E402
from runio import RunError, load_run  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="report.py", description=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 ok or partial run, 1 missing RUN_DIR or results.csv.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="a bertgrid run directory")
    p.add_argument("--out", metavar="DIR",
                   help="where report.md and the PNGs go (default: the first RUN_DIR)")
    return p.parse_args(argv)


def combined_ok(runs):
    parts = []
    for run in runs:
        ok = run.ok().copy()
        ok.insert(0, "run", run.name)
        parts.append(ok)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def job_label(run, job_id, several):
    return f"{run.name}/{job_id}" if several else job_id


def panel_title(r):
    """The learning-curve panel of a job: its configuration, not its seeds."""
    if r["kind"] == "head":
        return f"head {r['strategy']}, {r['epochs']} epochs, lr {r['learning_rate']:g}"
    return f"fine-tune {r['epochs']} epochs, lr {r['learning_rate']:g}"


def make_figures(runs, ft_table, head_table, out):
    """[(title, file name or None, note)] for each figure."""
    several = len(runs) > 1
    panels, matrices = {}, []
    for run in runs:
        for _, r in run.results.iterrows():
            jid = r["job_id"]
            if run.history is not None:
                h = run.history[run.history["job_id"] == jid]
                if not h.empty:
                    panels.setdefault(panel_title(r), []).append((job_label(run, jid, several), h))
            if r["status"] == "ok" and jid in run.confusion:
                matrices.append((job_label(run, jid, several), run.confusion[jid]))
    histories = list(panels.items())
    h5 = next((r.path / "embeddings.h5" for r in runs if (r.path / "embeddings.h5").is_file()),
              None)
    jobs = [
        ("Learning curves", lambda: figures.learning_curves(histories, out)),
        ("Accuracy by configuration", lambda: figures.accuracy_by_config(
            [("fine-tuning", ft_table), ("embeddings + head", head_table)], out)),
        ("Confusion matrices (test split)", lambda: figures.confusion_matrices(matrices, out)),
        ("Embeddings, 2-D PCA", lambda: figures.embeddings_pca(h5, out)),
    ]
    done = []
    for title, make in jobs:
        try:
            done.append((title, make(), None))
        except figures.Skip as e:
            done.append((title, None, str(e)))
    return done


def _best_entry(name, table, best, prefix=""):
    if best is None:
        return (f"{name} (no ok jobs)", float("nan"), float("nan"), float("nan"))
    r = table.loc[best]
    return (f"{name} ({prefix}{r['config']})", r["eval_accHate_mean"], r["eval_accNoHate_mean"],
            r["eval_accAll_mean"])


def _fmt(x, digits=4):
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _fmt_p(p):
    return "–" if math.isnan(p) else f"{p:.3g}"


def paired_section(ok, ft_table, ft_best, head_table, head_best):
    lines = ["## Paired comparison over seeds", ""]
    if ft_best is None or head_best is None:
        lines.append("No comparison: the run has no ok fine-tuning job or no ok head job.")
        return lines, None
    ft_row, hd_row = ft_table.loc[ft_best], head_table.loc[head_best]
    res = tables.paired_comparison(ok, ft_row, hd_row)
    lines.append(f"Best fine-tuning configuration (epochs {ft_row['config']}) minus best embedding "
                 f"strategy ({hd_row['config']}), paired by (init_seed, data_seed); jobs sharing "
                 "a seed pair (e.g. in two run directories) are averaged first.")
    lines.append("")
    rows = []
    for metric, (pt, seeds) in res.items():
        rows.append([metric, pt.n, _fmt(pt.mean), _fmt(pt.std), _fmt(pt.t, 3), _fmt_p(pt.p)])
    lines.append(tables.markdown_table(
        ["difference", "n", "mean", "std", "t", "p (two-sided)"], rows))
    n = res["eval_accAll"][0].n
    lines.append("")
    if n < 2:
        lines.append(f"**No test possible: n = {n} matched seed pair{'s' if n != 1 else ''}** "
                     "(a paired t-test needs at least 2; run more seeds).")
    else:
        lines.append(f"Paired t-test with n - 1 = {n - 1} degrees of freedom; std is the sample "
                     "std of the differences.")
    return lines, res


def build_report(runs, out):
    """Writes report.md and the figures into out; returns the report text."""
    ok = combined_ok(runs)
    ft_table = tables.config_table(ok, "finetune")
    head_table = tables.config_table(ok, "head")
    criterion = tables.criterion_for(ok)
    ft_best = tables.best_index(ft_table, criterion)
    head_best = tables.best_index(head_table, criterion)
    why = ("lowest mean val_loss (validation split)" if criterion == "val_loss" else
           "lowest mean eval_loss on the test split, as the notebook did (no validation split)")

    md = ["# bertgrid results", ""]
    rows = []
    for run in runs:
        total, n_ok = len(run.results), int((run.results["status"] == "ok").sum())
        h = (run.manifest or {}).get("config_hash", "–")
        rows.append([str(run.path), h, f"{n_ok} / {total}"])
    md += [tables.markdown_table(["run directory", "config hash", "jobs ok"], rows), ""]
    warnings = [w for run in runs for w in run.warnings]
    if warnings:
        md += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    md += [f"Best row (**best**): {why}. Values are mean ± std (sample std over seeds) when a "
           "configuration has several jobs; n counts them.", ""]
    md += ["## Fine-tuning by epochs", ""]
    md += [tables.config_markdown(ft_table, "finetune", criterion, ft_best)
           if not ft_table.empty else "No ok fine-tuning jobs.", ""]
    md += ["## Embeddings + head by strategy", ""]
    md += [tables.config_markdown(head_table, "head", criterion, head_best)
           if not head_table.empty else "No ok head jobs.", ""]
    md += ["## Against the dataset paper's baselines", "",
           "Accuracy on the same test split; the paper's numbers as the notebook quotes them.", ""]
    md += [tables.baselines_markdown([
        _best_entry("fine-tuning", ft_table, ft_best, "epochs "),
        _best_entry("embeddings + head", head_table, head_best)]), ""]
    md += ["## The notebook's results, for reference", "",
           "HuggingFace DistilBERT (distilbert-base-uncased), one seed; best by eval_loss: 2 epochs "
           "and LAST2_MEAN.", "", tables.notebook_markdown(), ""]
    lines, _ = paired_section(ok, ft_table, ft_best, head_table, head_best)
    md += lines + [""]
    md += ["## Figures", ""]
    for title, name, note in make_figures(runs, ft_table, head_table, out):
        md += [f"![{title}]({name})", ""] if name else [f"- {title}: skipped ({note})", ""]
    text = "\n".join(md)
    tmp = out / "report.md.tmp"
    tmp.write_text(text)
    tmp.replace(out / "report.md")
    return text


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    runs = []
    try:
        for d in args.run_dirs:
            runs.append(load_run(d))
    except RunError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 1
    for run in runs:
        for w in run.warnings:
            print(f"report.py: warning: {w}", file=sys.stderr)
    out = Path(args.out) if args.out else runs[0].path
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"report.py: error: cannot create --out {out}: {e}", file=sys.stderr)
        return 1
    text = build_report(runs, out)
    print(text)
    print(f"\nwrote {out / 'report.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
