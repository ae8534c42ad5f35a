#!/usr/bin/python3
"""PyTorch eager training throughput on the batches bench_train wrote, the same loop as HF Trainer.

Usage: /usr/bin/python3 bench/train_eager.py IDS.json [--threads N] [--phases]
  IDS.json comes from `bench_train --ids-out IDS.json` (shape, warm-up, steps, repeats and the
  batches' token ids and labels in step order). Each step pads the batch (dynamic padding, like
  DataCollatorWithPadding), runs forward + summed cross-entropy / batch size, backward,
  clip_grad_norm_(1.0), torch.optim.AdamW (lr 5e-5, wd 0.01 except biases and LayerNorm
  weights) with a linear LambdaLR decay, and zero_grad(), as HF Trainer does. Prints samples/s
  per repeat and the median (last line, "median"). --phases also prints the step's parts in
  CPU time of the main thread (exact with --threads 1, whatever the machine's load).
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from eager_distilbert import SHAPES, DistilBertForSequenceClassification


def pad(batch, pad_id):
    longest = max(len(seq) for seq in batch["ids"])
    rows = [seq + [pad_id] * (longest - len(seq)) for seq in batch["ids"]]
    mask = [[1] * len(seq) + [0] * (longest - len(seq)) for seq in batch["ids"]]
    return torch.tensor(rows), torch.tensor(mask), torch.tensor(batch["labels"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids_json")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    with open(args.ids_json) as f:
        spec = json.load(f)
    config = SHAPES[spec["shape"]]
    model = DistilBertForSequenceClassification(config)
    model.train()

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if not any(m in n for m in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in named if any(m in n for m in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=5e-5)
    total = len(spec["batches"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, (total - step) / max(1, total)))
    phases = {}

    def timed(name, start):  # CPU time of this thread (all of torch's work with --threads 1)
        now = time.thread_time()
        phases[name] = phases.get(name, 0.0) + now - start
        return now

    def step(batch):
        t = time.thread_time()
        input_ids, mask, labels = pad(batch, spec["pad_id"])
        logits = model(input_ids, mask)
        loss = F.cross_entropy(logits, labels, reduction="sum")
        loss_value = loss.item()
        t = timed("forward", t)
        (loss / len(labels)).backward()
        t = timed("backward", t)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t = timed("clip", t)
        optimizer.step()
        scheduler.step()
        t = timed("adamw", t)
        model.zero_grad()
        timed("zero_grad", t)
        return loss_value

    batches = iter(spec["batches"])
    for _ in range(spec["warmup"]):
        step(next(batches))
    phases.clear()
    rates = []
    for r in range(spec["repeats"]):
        samples = 0
        start = time.perf_counter()
        for _ in range(spec["steps"]):
            batch = next(batches)
            step(batch)
            samples += len(batch["labels"])
        secs = time.perf_counter() - start
        rates.append(samples / secs)
        print(f"repeat {r + 1}: {rates[-1]:.2f} samples/s ({secs * 1e3 / spec['steps']:.1f} ms/step)")
    if args.phases:
        n = spec["steps"] * spec["repeats"]
        for name, secs in sorted(phases.items()):
            print(f"phase {name:<10} {secs * 1e3 / n:8.2f} CPU ms/step")
    print(f"median {statistics.median(rates):.3f} samples/s (shape {spec['shape']}, "
          f"threads {args.threads}, torch {torch.__version__})")


if __name__ == "__main__":
    main()
