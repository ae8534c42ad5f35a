"""A synthetic bertgrid run directory with known numbers, for the analysis tests.

make_run(path, seeds=(0, 1, 2), validation=False) writes the layout `bertgrid run` writes:
fine-tuning for 2/3/4 epochs and the five embedding strategies, one job per configuration and
seed index k (init_seed = data_seed = 42 + k), with metrics taken from the tables below.
"""
import json
import math
from pathlib import Path

import numpy as np

SEED_BASE = 42
N_TEST_HATE = N_TEST_NOHATE = 239

# Per configuration, one value per seed index 0, 1, 2.
FT_ACC = {2: [0.82, 0.84, 0.83], 3: [0.83, 0.86, 0.84], 4: [0.84, 0.85, 0.86]}
FT_LOSS = {2: [0.44, 0.45, 0.46], 3: [0.40, 0.42, 0.41], 4: [0.70, 0.71, 0.69]}
FT_VAL = {2: [0.30, 0.31, 0.32], 3: [0.50, 0.51, 0.52], 4: [0.60, 0.61, 0.62]}
FT_TRAIN = {2: 0.15, 3: 0.05, 4: 0.01}
HEAD_ACC = {"CLS": [0.73, 0.74, 0.72], "LAST_MEAN": [0.77, 0.76, 0.78],
            "LAST_MAX": [0.75, 0.75, 0.76], "LAST2_MEAN": [0.75, 0.77, 0.75],
            "LAST2_MAX": [0.75, 0.76, 0.74]}
HEAD_LOSS = {"CLS": [0.57, 0.58, 0.57], "LAST_MEAN": [0.56, 0.55, 0.57],
             "LAST_MAX": [0.61, 0.62, 0.60], "LAST2_MEAN": [0.54, 0.53, 0.55],
             "LAST2_MAX": [0.60, 0.59, 0.61]}
HEAD_VAL = {"CLS": [0.58] * 3, "LAST_MEAN": [0.45, 0.46, 0.47], "LAST_MAX": [0.60] * 3,
            "LAST2_MEAN": [0.50, 0.50, 0.51], "LAST2_MAX": [0.59] * 3}
STEPS_PER_EPOCH = 10

HEADER = ("job_id,kind,epochs,strategy,init_seed,data_seed,batch_size,learning_rate,weight_decay,"
          "warmup_steps,eval_loss,eval_accHate,eval_accNoHate,eval_accAll,eval_precision_hate,"
          "eval_recall_hate,eval_f1_hate,eval_train_loss,val_loss,val_accAll,train_seconds,"
          "status,error")


def job_rows(seeds, validation):
    rows = []
    for k in seeds:
        seed = SEED_BASE + k
        for e in (2, 3, 4):
            rows.append(dict(job_id=f"ft-e{e}-s{seed}", kind="finetune", epochs=e, strategy="",
                             seed=seed, acc=FT_ACC[e][k], loss=FT_LOSS[e][k],
                             val=FT_VAL[e][k] if validation else None,
                             train=FT_TRAIN[e] + 0.001 * k, lr=5e-5))
        for s in HEAD_ACC:
            rows.append(dict(job_id=f"head-{s}-s{seed}", kind="head", epochs=2, strategy=s,
                             seed=seed, acc=HEAD_ACC[s][k], loss=HEAD_LOSS[s][k],
                             val=HEAD_VAL[s][k] if validation else None, train=0.55, lr=1e-3))
    return rows


def confusion(acc):
    tp = round((acc + 0.02) * N_TEST_HATE)
    tn = round((acc - 0.02) * N_TEST_NOHATE)
    return [[tn, N_TEST_NOHATE - tn], [N_TEST_HATE - tp, tp]]


def history(r):
    lines = ["kind,step,epoch,loss,lr,grad_norm"]
    for step in range(1, r["epochs"] * STEPS_PER_EPOCH + 1):
        if step % 2 == 0:
            lines.append(f"train,{step},{step / STEPS_PER_EPOCH},{0.7 * math.exp(-step / 20):.9g},"
                         f"{r['lr']},1.5")
        if step % STEPS_PER_EPOCH == 0:
            lines.append(f"eval,{step},{step // STEPS_PER_EPOCH},{r['loss']},{r['lr']},0")
    return lines


def write_h5(path, n_train=40, n_test=20, dim=8):
    import h5py
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for split, n in (("train", n_train), ("test", n_test)):
            g = f.create_group(split)
            labels = np.arange(n, dtype=np.int32) % 2
            g["labels"] = labels
            g.create_dataset("file_ids", data=[f"{split}_{i}" for i in range(n)],
                             dtype=h5py.string_dtype())
            for s in HEAD_ACC:
                g[s] = (rng.normal(size=(n, dim)) + labels[:, None] * 2.0).astype(np.float32)
        f.attrs["model"] = "tiny"
        f.attrs["max_length"] = 128
        f.attrs["pooling"] = "all"
        f.attrs["precision"] = "fp32"
        f.attrs["fingerprint"] = "abc123"


def make_run(path, seeds=(0, 1, 2), validation=False, precision="fp32", torch="1.13.1"):
    path = Path(path)
    (path / "jobs").mkdir(parents=True, exist_ok=True)
    rows = job_rows(seeds, validation)
    csv, jobs_json, hist = [HEADER], [], ["job_id,kind,step,epoch,loss,lr,grad_norm"]
    for r in rows:
        val = "" if r["val"] is None else str(r["val"])
        val_acc = "" if r["val"] is None else str(r["acc"])
        fields = [r["job_id"], r["kind"], r["epochs"], r["strategy"], r["seed"], r["seed"], 16,
                  r["lr"], 0.01, 11, r["loss"], round(r["acc"] + 0.02, 6),
                  round(r["acc"] - 0.02, 6), r["acc"], 0.8, 0.8, 0.8, r["train"], val, val_acc,
                  12.5, "ok", ""]
        csv.append(",".join(str(x) for x in fields))
        rec = dict(zip(HEADER.split(","), fields))
        rec["confusion"] = confusion(r["acc"])
        jobs_json.append(rec)
        job_dir = path / "jobs" / r["job_id"]
        job_dir.mkdir(exist_ok=True)
        (job_dir / "record.json").write_text(json.dumps(rec))
        h = history(r)
        (job_dir / "history.csv").write_text("\n".join(h) + "\n")
        hist += [f"{r['job_id']},{line}" for line in h[1:]]
        (job_dir / "predictions.csv").write_text("file_id,label,p_hate,predicted\na,1,0.9,1\n")
    (path / "results.csv").write_text("\n".join(csv) + "\n")
    (path / "results.json").write_text(json.dumps({"jobs": jobs_json}))
    (path / "history.csv").write_text("\n".join(hist) + "\n")
    (path / "config.toml").write_text(
        f'name = "fixture"\n\n[model]\ninit = "random"\ndim = 64\nprecision = "{precision}"\n\n'
        f'[finetune]\nepochs = [2, 3, 4]\nlearning_rate = 5e-5\n')
    (path / "manifest.json").write_text(json.dumps({
        "config_hash": f"hash-{precision}",
        "versions": {"bertgrid": "0.1.0", "torch": torch, "mpi": "Open MPI 4.1.4"},
        "jobs": [{"job_id": r["job_id"], "group": 0, "ranks": [0], "examples_per_rank": [1914],
                  "seconds": 12.5} for r in rows],
        "validation": validation}))
    write_h5(path / "embeddings.h5")
    return path
