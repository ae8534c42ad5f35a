"""Plain PyTorch eager DistilBERT for sequence classification, the reference for the benchmarks.

Mirrors HF transformers' modeling_distilbert.py (and src/model/distilbert.h) module for module:
Embeddings (word + learned positions, LayerNorm eps 1e-12, dropout) -> n_layers x
TransformerBlock (multi-head self-attention with padding mask + sa_layer_norm, FFN with erf gelu
+ output_layer_norm) -> pre_classifier -> ReLU -> dropout -> classifier on the [CLS] state.
Parameter names follow HF's, so `named_parameters()` matches the C++ model's order and names.
Import it from a script in bench/ (`from eager_distilbert import ...`).
"""

import math
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 30522
    max_position_embeddings: int = 512
    dim: int = 768
    n_layers: int = 6
    n_heads: int = 12
    hidden_dim: int = 3072
    dropout: float = 0.1
    attention_dropout: float = 0.1
    seq_classif_dropout: float = 0.2
    initializer_range: float = 0.02
    pad_token_id: int = 0
    num_labels: int = 2


SHAPES = {
    "tiny": Config(dim=32, n_layers=2, n_heads=4, hidden_dim=64),
    "base": Config(),
}


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.dim, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.dim)
        self.LayerNorm = nn.LayerNorm(c.dim, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, input_ids):
        seq_length = input_ids.size(1)
        position_ids = torch.arange(seq_length, device=input_ids.device)  # (max_seq_length)
        position_ids = position_ids.unsqueeze(0).expand_as(input_ids)  # (bs, max_seq_length)
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))  # (bs, max_seq_length, dim)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c.n_heads
        self.dim = c.dim
        self.dropout = nn.Dropout(c.attention_dropout)
        self.q_lin = nn.Linear(c.dim, c.dim)
        self.k_lin = nn.Linear(c.dim, c.dim)
        self.v_lin = nn.Linear(c.dim, c.dim)
        self.out_lin = nn.Linear(c.dim, c.dim)

    def forward(self, x, mask):
        bs, k_length, _ = x.size()
        dim_per_head = self.dim // self.n_heads

        def shape(t):  # (bs, len, dim) -> (bs, n_heads, len, dim_per_head)
            return t.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(t):  # (bs, n_heads, len, dim_per_head) -> (bs, len, dim)
            return t.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(x))
        k = shape(self.k_lin(x))
        v = shape(self.v_lin(x))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))  # (bs, n_heads, q_length, k_length)
        padding = (mask == 0).view(bs, 1, 1, k_length).expand_as(scores)
        scores = scores.masked_fill(padding, torch.finfo(scores.dtype).min)
        weights = self.dropout(F.softmax(scores, dim=-1))  # (bs, n_heads, q_length, k_length)
        context = unshape(torch.matmul(weights, v))  # (bs, q_length, dim)
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dropout = nn.Dropout(c.dropout)
        self.lin1 = nn.Linear(c.dim, c.hidden_dim)
        self.lin2 = nn.Linear(c.hidden_dim, c.dim)

    def forward(self, x):
        return self.dropout(self.lin2(F.gelu(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)

    def forward(self, x, mask):
        sa_output = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa_output) + sa_output)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(TransformerBlock(c) for _ in range(c.n_layers))

    def forward(self, x, mask):
        for block in self.layer:
            x = block(x, mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.transformer = Transformer(c)

    def forward(self, input_ids, attention_mask):
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c.dim, c.dim)
        self.classifier = nn.Linear(c.dim, c.num_labels)
        self.dropout = nn.Dropout(c.seq_classif_dropout)
        self.init_weights(c)

    def init_weights(self, c):
        """HF _init_weights: normal(0, initializer_range) weights, zero biases and padding row."""
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, c.initializer_range)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.zero_()
                if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                    m.weight[m.padding_idx].zero_()
                if isinstance(m, nn.LayerNorm):
                    m.weight.fill_(1.0)
                    m.bias.zero_()

    def forward(self, input_ids, attention_mask):
        hidden = self.distilbert(input_ids, attention_mask)  # (bs, seq_length, dim)
        pooled = F.relu(self.pre_classifier(hidden[:, 0]))  # (bs, dim)
        return self.classifier(self.dropout(pooled))  # (bs, num_labels)
