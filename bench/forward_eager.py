#!/usr/bin/python3
"""Plain PyTorch eager DistilBERT encoder forward throughput (the C++ bench's Python baseline).

Usage: /usr/bin/python3 bench/forward_eager.py --ids IDS.json [--shape tiny|base]
                        [--batch-size 32] [--threads T] [--runs R]

IDS.json is what `bench_forward --ids-out` writes ({"ids": [[...], ...]}), so both sides run the
same token ids. The model is written here with HF modeling_distilbert.py's eager math (random
weights): embeddings + LayerNorm, attention with q scaled by 1/sqrt(d), masked_fill with the
dtype's min, softmax, GELU FFN, post-LayerNorm. Length-sorted batches (longest first), dynamic
padding, torch.inference_mode(). Prints each run to stderr and "python SHAPE SENT_PER_S" (median).
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
from torch import nn

SHAPES = {"tiny": (32, 2, 4, 64), "base": (768, 6, 12, 3072)}


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads, self.dim = n_heads, dim
        self.q_lin, self.k_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.v_lin, self.out_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x, mask):
        bs, length, _ = x.shape
        dh = self.dim // self.n_heads

        def shape(t):  # (bs, length, dim) -> (bs, n_heads, length, dh)
            return t.view(bs, -1, self.n_heads, dh).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(dh)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        scores = q @ k.transpose(2, 3)  # (bs, n_heads, length, length)
        scores = scores.masked_fill((mask == 0).view(bs, 1, 1, length), torch.finfo(scores.dtype).min)
        context = torch.softmax(scores, dim=-1) @ v
        return self.out_lin(context.transpose(1, 2).reshape(bs, -1, self.dim))


class Block(nn.Module):
    def __init__(self, dim, n_heads, hidden):
        super().__init__()
        self.attention = Attention(dim, n_heads)
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.lin1, self.lin2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, mask):
        x = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.lin2(nn.functional.gelu(self.lin1(x))) + x)


class Encoder(nn.Module):
    def __init__(self, dim, n_layers, n_heads, hidden, vocab=30522, positions=512):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(positions, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)
        self.layer = nn.ModuleList(Block(dim, n_heads, hidden) for _ in range(n_layers))

    def forward(self, input_ids, mask):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(pos))
        hidden = [x]
        for block in self.layer:
            x = block(x, mask)
            hidden.append(x)
        return hidden


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ids", required=True)
    p.add_argument("--shape", choices=SHAPES, default="tiny")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with open(a.ids) as f:
        ids = json.load(f)["ids"]
    order = sorted(range(len(ids)), key=lambda i: (-len(ids[i]), i))
    batches = []
    for s in range(0, len(order), a.batch_size):
        rows = [ids[i] for i in order[s:s + a.batch_size]]
        width = max(len(r) for r in rows)
        input_ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            input_ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        batches.append((input_ids, mask))
    model = Encoder(*SHAPES[a.shape]).eval()
    rates = []
    with torch.inference_mode():
        for run in range(-1, a.runs):  # run -1 warms up
            start = time.perf_counter()
            for input_ids, mask in batches:
                model(input_ids, mask)
            seconds = time.perf_counter() - start
            if run >= 0:
                rates.append(len(ids) / seconds)
                print(f"forward_eager {a.shape} run {run}: {rates[-1]:.1f} sent/s ({seconds:.2f} s)",
                      file=sys.stderr)
    print(f"python {a.shape} {statistics.median(rates):.2f}")


if __name__ == "__main__":
    main()
