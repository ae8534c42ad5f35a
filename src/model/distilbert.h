// DistilBERT in libtorch, mirroring HF transformers' modeling_distilbert.py module for module:
// Embeddings -> MultiHeadSelfAttention -> FFN -> TransformerBlock -> Transformer ->
// DistilBertModel, plus DistilBertForSequenceClassification and ClassificationHead (the same head
// on a sentence embedding). Modules are registered under HF's names, so named_parameters() yields
// exactly the HF state-dict names ("distilbert.transformer.layer.0.attention.q_lin.weight",
// "pre_classifier.bias"). Also HF-style random initialisation from a seed.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "model/distilbert_config.h"
#include "model/layers.h"

namespace bertgrid::model {

// Word + learned (or frozen sinusoidal) position embeddings, LayerNorm (eps 1e-12), dropout.
struct EmbeddingsImpl : torch::nn::Module {
  explicit EmbeddingsImpl(const DistilBertConfig& config);
  // input_ids: (bs, seq_length) int64 -> (bs, seq_length, dim). position_ids (bs, seq_length):
  // each token's position (a packed batch restarts them at each sentence, and checks them where
  // it makes them); undefined: 0..seq_length-1 in every row, which must fit the positions.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids = {});

  Lookup word_embeddings{nullptr};
  Lookup position_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};  // NOLINT: HF's parameter name
  torch::nn::Dropout dropout{nullptr};
  int64_t max_position_embeddings_;
};
TORCH_MODULE(Embeddings);

// The attention masks, as the bool `blocked` tensors the layers take: from a padding mask (bs,
// seq_length) with 1 = token, 0 = padding -> (bs, 1, 1, seq_length), true at padding keys; from
// segment ids (bs, seq_length) -> (bs, 1, seq_length, seq_length), true where query and key lie
// in different segments (a block-diagonal mask per row).
torch::Tensor blocked_padding(const torch::Tensor& attention_mask);
torch::Tensor blocked_segments(const torch::Tensor& segment_ids);

// Fills weight (n_pos, dim) with HF's create_sinusoidal_embeddings values: sin on even columns,
// cos on odd ones, of pos / 10000^(2*(j/2)/dim); computed in double, stored in weight's dtype.
void fill_sinusoidal_embeddings(torch::Tensor& weight);

// Multi-head self-attention with q_lin, k_lin, v_lin, out_lin.
struct MultiHeadSelfAttentionImpl : torch::nn::Module {
  explicit MultiHeadSelfAttentionImpl(const DistilBertConfig& config);
  // query/key/value: (bs, length, dim); blocked: bool, broadcastable to (bs, n_heads, q_length,
  // k_length), true where a query may not attend to a key (see blocked_keys), or undefined for no
  // mask. Returns (bs, q_length, dim).
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key,
                        const torch::Tensor& value, const torch::Tensor& blocked);
  // Use at::scaled_dot_product_attention (libtorch >= 2.0 only; default there) instead of the
  // manual softmax(QK^T/sqrt(d) + mask) V. Both give the same numbers within float rounding.
  void set_use_sdpa(bool use);

  int64_t n_heads_;
  int64_t dim_;
  torch::nn::Dropout dropout{nullptr};
  Dense q_lin{nullptr};
  Dense k_lin{nullptr};
  Dense v_lin{nullptr};
  Dense out_lin{nullptr};
  bool use_sdpa_;
};
TORCH_MODULE(MultiHeadSelfAttention);

// Position-wise feed-forward: lin1 -> gelu (erf) | relu -> lin2 -> dropout.
struct FFNImpl : torch::nn::Module {
  explicit FFNImpl(const DistilBertConfig& config);
  torch::Tensor forward(const torch::Tensor& input);  // (bs, seq_length, dim) -> same

  torch::nn::Dropout dropout{nullptr};
  Dense lin1{nullptr};
  Dense lin2{nullptr};
  bool gelu_;
};
TORCH_MODULE(FFN);

// Post-LayerNorm transformer layer: attention + sa_layer_norm, ffn + output_layer_norm.
struct TransformerBlockImpl : torch::nn::Module {
  explicit TransformerBlockImpl(const DistilBertConfig& config);
  // x: (bs, seq_length, dim); blocked: as MultiHeadSelfAttention's -> (bs, seq_length, dim)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& blocked);

  MultiHeadSelfAttention attention{nullptr};
  torch::nn::LayerNorm sa_layer_norm{nullptr};
  FFN ffn{nullptr};
  torch::nn::LayerNorm output_layer_norm{nullptr};
};
TORCH_MODULE(TransformerBlock);

// n_layers TransformerBlocks in a ModuleList named "layer".
struct TransformerImpl : torch::nn::Module {
  explicit TransformerImpl(const DistilBertConfig& config);
  // Returns n_layers + 1 hidden states: the input x, then each layer's output.
  std::vector<torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& blocked);

  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(Transformer);

// The encoder: embeddings + transformer.
struct DistilBertModelImpl : torch::nn::Module {
  explicit DistilBertModelImpl(const DistilBertConfig& config);
  // input_ids: (bs, seq_length) int64; attention_mask: (bs, seq_length), 1 = token, 0 = padding
  // (undefined = all tokens). Returns all n_layers + 1 hidden states, each (bs, seq_length, dim):
  // [0] is the embeddings output, [i] layer i's output.
  std::vector<torch::Tensor> forward(const torch::Tensor& input_ids,
                                     const torch::Tensor& attention_mask = {});
  // A packed batch (model/packing.h): input_ids, position_ids and segment_ids (rows, R); a token
  // attends only to tokens of its own segment. Returns the hidden states, each (rows, R, dim).
  std::vector<torch::Tensor> forward_packed(const torch::Tensor& input_ids,
                                            const torch::Tensor& position_ids,
                                            const torch::Tensor& segment_ids);
  // MultiHeadSelfAttention::set_use_sdpa on every layer.
  void set_use_sdpa(bool use);

  Embeddings embeddings{nullptr};
  Transformer transformer{nullptr};
};
TORCH_MODULE(DistilBertModel);

struct ClassifierOutput {
  std::vector<torch::Tensor> hidden_states;  // n_layers + 1 of (bs, seq_length, dim)
  torch::Tensor logits;                      // (bs, num_labels)
};

// Encoder + head on the [CLS] state: pre_classifier -> ReLU -> dropout -> classifier.
struct DistilBertForSequenceClassificationImpl : torch::nn::Module {
  explicit DistilBertForSequenceClassificationImpl(const DistilBertConfig& config);
  // Returns logits (bs, num_labels).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {});
  // Logits and all hidden states from one forward pass.
  ClassifierOutput forward_with_hidden(const torch::Tensor& input_ids,
                                       const torch::Tensor& attention_mask = {});
  // Logits (n, num_labels) of the n sentences of a packed batch (model/packing.h), from each
  // sentence's first ([CLS]) token; cls_index (n) holds their flat positions (row * R + column).
  torch::Tensor forward_packed(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                               const torch::Tensor& segment_ids, const torch::Tensor& cls_index);

  DistilBertModel distilbert{nullptr};
  Dense pre_classifier{nullptr};
  Dense classifier{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  torch::Tensor head(const torch::Tensor& cls_states);  // (n, dim) -> (n, num_labels)
};
TORCH_MODULE(DistilBertForSequenceClassification);

// The same head on a sentence-embedding vector (the frozen-embedding approach):
// pre_classifier (dim -> dim) -> ReLU -> dropout (seq_classif_dropout) -> classifier.
struct ClassificationHeadImpl : torch::nn::Module {
  explicit ClassificationHeadImpl(const DistilBertConfig& config);
  torch::Tensor forward(const torch::Tensor& embedding);  // (bs, dim) -> (bs, num_labels)

  Dense pre_classifier{nullptr};
  Dense classifier{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ClassificationHead);

// HF's _init_weights over every submodule of `module` (in modules() order), drawing from one CPU
// generator seeded with `seed`: Linear and Embedding weights ~ normal(0, initializer_range),
// Linear biases 0, the padding_idx row of an Embedding 0, LayerNorm weight 1 and bias 0; the
// position embeddings of an Embeddings with sinusoidal_pos_embds are refilled with the sinusoids.
// Deterministic for a seed, whatever the device of the parameters.
void init_weights(torch::nn::Module& module, const DistilBertConfig& config, uint64_t seed);
// The same over several modules in order, with one generator.
void init_weights(const std::vector<torch::nn::Module*>& modules, const DistilBertConfig& config,
                  uint64_t seed);
// Initialises a ClassificationHead alone.
void init_head(ClassificationHead& head, const DistilBertConfig& config, uint64_t seed);

}  // namespace bertgrid::model
