// DistilBERT modules (see distilbert.h); the math follows HF modeling_distilbert.py line by line.
#include "model/distilbert.h"

#include <cmath>
#include <limits>
#include <string>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "core/torch_compat.h"
#include "model/packing.h"

namespace bertgrid::model {
namespace {

constexpr double kLayerNormEps = 1e-12;

// The most negative finite value of a floating dtype (HF's torch.finfo(dtype).min).
torch::Scalar lowest_value(torch::ScalarType dtype) {
  torch::Scalar out;
  AT_DISPATCH_FLOATING_TYPES_AND2(torch::kHalf, torch::kBFloat16, dtype, "lowest_value", [&] {
    out = torch::Scalar(std::numeric_limits<scalar_t>::lowest());
  });
  return out;
}

torch::nn::LayerNorm make_layer_norm(int64_t dim) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps));
}

}  // namespace

// ---- Attention masks --------------------------------------------------------------------------

torch::Tensor blocked_padding(const torch::Tensor& attention_mask) {
  const int64_t bs = attention_mask.size(0);
  return (attention_mask == 0).view({bs, 1, 1, attention_mask.size(1)});  // (bs, 1, 1, k_length)
}

torch::Tensor blocked_segments(const torch::Tensor& segment_ids) {
  // (bs, R, 1) != (bs, 1, R) -> (bs, R, R) -> (bs, 1, R, R)
  return (segment_ids.unsqueeze(2) != segment_ids.unsqueeze(1)).unsqueeze(1);
}

// ---- Embeddings -------------------------------------------------------------------------------

void fill_sinusoidal_embeddings(torch::Tensor& weight) {
  const int64_t n_pos = weight.size(0);
  const int64_t dim = weight.size(1);
  auto table = torch::empty({n_pos, dim}, torch::kFloat64);
  auto acc = table.accessor<double, 2>();
  for (int64_t pos = 0; pos < n_pos; ++pos) {
    for (int64_t j = 0; j < dim; ++j) {
      const double angle =
          static_cast<double>(pos) /
          std::pow(10000.0, static_cast<double>(2 * (j / 2)) / static_cast<double>(dim));
      acc[pos][j] = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
    }
  }
  torch::NoGradGuard no_grad;
  weight.copy_(table);
}

EmbeddingsImpl::EmbeddingsImpl(const DistilBertConfig& config)
    : max_position_embeddings_(config.max_position_embeddings) {
  word_embeddings = register_module("word_embeddings",
                                    Lookup(config.vocab_size, config.dim, config.pad_token_id));
  position_embeddings =
      register_module("position_embeddings", Lookup(config.max_position_embeddings, config.dim));
  if (config.sinusoidal_pos_embds) {
    fill_sinusoidal_embeddings(position_embeddings->weight);
    position_embeddings->weight.set_requires_grad(false);
  }
  LayerNorm = register_module("LayerNorm", make_layer_norm(config.dim));
  dropout = register_module("dropout", torch::nn::Dropout(config.dropout));
}

torch::Tensor EmbeddingsImpl::forward(const torch::Tensor& input_ids,
                                      const torch::Tensor& position_ids_in) {
  const int64_t seq_length = input_ids.size(1);
  auto position_ids = position_ids_in;  // (bs, max_seq_length)
  if (!position_ids.defined()) {
    if (seq_length > max_position_embeddings_) {
      throw Error("DistilBERT: sequence length " + std::to_string(seq_length) +
                  " exceeds max_position_embeddings (" + std::to_string(max_position_embeddings_) +
                  ")");
    }
    const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(input_ids.device());
    position_ids = torch::arange(seq_length, long_options).unsqueeze(0).expand_as(input_ids);
  }
  auto input_embeds = word_embeddings(input_ids);            // (bs, max_seq_length, dim)
  auto position_embeds = position_embeddings(position_ids);  // (bs, max_seq_length, dim)
  auto embeddings = input_embeds + position_embeds;          // (bs, max_seq_length, dim)
  embeddings = LayerNorm(embeddings);                        // (bs, max_seq_length, dim)
  embeddings = dropout(embeddings);                          // (bs, max_seq_length, dim)
  return embeddings;
}

// ---- MultiHeadSelfAttention -------------------------------------------------------------------

MultiHeadSelfAttentionImpl::MultiHeadSelfAttentionImpl(const DistilBertConfig& config)
    : n_heads_(config.n_heads), dim_(config.dim), use_sdpa_(compat::kHasSdpa) {
  if (dim_ % n_heads_ != 0) {
    throw Error("DistilBERT: n_heads (" + std::to_string(n_heads_) + ") must divide dim (" +
                std::to_string(dim_) + ")");
  }
  dropout = register_module("dropout", torch::nn::Dropout(config.attention_dropout));
  q_lin = register_module("q_lin", Dense(config.dim, config.dim));
  k_lin = register_module("k_lin", Dense(config.dim, config.dim));
  v_lin = register_module("v_lin", Dense(config.dim, config.dim));
  out_lin = register_module("out_lin", Dense(config.dim, config.dim));
}

void MultiHeadSelfAttentionImpl::set_use_sdpa(bool use) {
  if (use && !compat::kHasSdpa) {
    throw Error("DistilBERT: scaled_dot_product_attention needs libtorch >= 2.0");
  }
  use_sdpa_ = use;
}

torch::Tensor MultiHeadSelfAttentionImpl::forward(const torch::Tensor& query,
                                                  const torch::Tensor& key,
                                                  const torch::Tensor& value,
                                                  const torch::Tensor& blocked) {
  const int64_t bs = query.size(0);
  const int64_t dim_per_head = dim_ / n_heads_;

  // (bs, len, dim) -> (bs, n_heads, len, dim_per_head)
  auto shape = [&](const torch::Tensor& x) {
    return x.view({bs, -1, n_heads_, dim_per_head}).transpose(1, 2);
  };
  // (bs, n_heads, len, dim_per_head) -> (bs, len, dim)
  auto unshape = [&](const torch::Tensor& x) {
    return x.transpose(1, 2).contiguous().view({bs, -1, n_heads_ * dim_per_head});
  };

  auto q = shape(q_lin(query));  // (bs, n_heads, q_length, dim_per_head)
  auto k = shape(k_lin(key));    // (bs, n_heads, k_length, dim_per_head)
  auto v = shape(v_lin(value));  // (bs, n_heads, k_length, dim_per_head)

  // Masked scores get the dtype's lowest finite value, not -inf: a query whose keys were all
  // masked would otherwise turn to NaN.
  const torch::Scalar lowest = lowest_value(q.scalar_type());

  torch::Tensor context;
  if (use_sdpa_) {
    torch::Tensor additive;  // blocked's shape: 0 to attend, lowest where blocked
    if (blocked.defined())
      additive = torch::zeros(blocked.sizes(), q.options()).masked_fill(blocked, lowest);
    const double p = is_training() ? dropout->options.p() : 0.0;
    // (bs, n_heads, q_length, dim_per_head)
    context = compat::scaled_dot_product_attention(q, k, v, additive, p);
  } else {
    q = q / std::sqrt(static_cast<double>(dim_per_head));  // (bs, n_heads, q_length, dim_per_head)
    auto scores = torch::matmul(q, k.transpose(2, 3));     // (bs, n_heads, q_length, k_length)
    if (blocked.defined()) {
      // (bs, n_heads, q_length, k_length)
      scores = scores.masked_fill(blocked.expand_as(scores), lowest);
    }
    auto weights = torch::softmax(scores, -1);  // (bs, n_heads, q_length, k_length)
    weights = dropout(weights);                 // (bs, n_heads, q_length, k_length)
    context = torch::matmul(weights, v);        // (bs, n_heads, q_length, dim_per_head)
  }
  context = unshape(context);  // (bs, q_length, dim)
  return out_lin(context);     // (bs, q_length, dim)
}

// ---- FFN --------------------------------------------------------------------------------------

FFNImpl::FFNImpl(const DistilBertConfig& config) : gelu_(config.activation == Activation::kGelu) {
  dropout = register_module("dropout", torch::nn::Dropout(config.dropout));
  lin1 = register_module("lin1", Dense(config.dim, config.hidden_dim));
  lin2 = register_module("lin2", Dense(config.hidden_dim, config.dim));
}

torch::Tensor FFNImpl::forward(const torch::Tensor& input) {
  auto x = lin1(input);  // (bs, seq_length, hidden_dim)
  // gelu is the exact (erf) form, as HF's "gelu"
  x = gelu_ ? torch::gelu(x) : torch::relu(x);  // (bs, seq_length, hidden_dim)
  x = lin2(x);                                  // (bs, seq_length, dim)
  return dropout(x);                            // (bs, seq_length, dim)
}

// ---- TransformerBlock / Transformer -----------------------------------------------------------

TransformerBlockImpl::TransformerBlockImpl(const DistilBertConfig& config) {
  attention = register_module("attention", MultiHeadSelfAttention(config));
  sa_layer_norm = register_module("sa_layer_norm", make_layer_norm(config.dim));
  ffn = register_module("ffn", FFN(config));
  output_layer_norm = register_module("output_layer_norm", make_layer_norm(config.dim));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& blocked) {
  auto sa_output = attention(x, x, x, blocked);      // (bs, seq_length, dim)
  sa_output = sa_layer_norm(sa_output + x);          // (bs, seq_length, dim)
  auto ffn_output = ffn(sa_output);                  // (bs, seq_length, dim)
  return output_layer_norm(ffn_output + sa_output);  // (bs, seq_length, dim)
}

TransformerImpl::TransformerImpl(const DistilBertConfig& config) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.n_layers; ++i) layer->push_back(TransformerBlock(config));
}

std::vector<torch::Tensor> TransformerImpl::forward(const torch::Tensor& x,
                                                    const torch::Tensor& blocked) {
  std::vector<torch::Tensor> hidden_states;
  hidden_states.reserve(layer->size() + 1);
  auto hidden_state = x;  // (bs, seq_length, dim)
  hidden_states.push_back(hidden_state);
  for (const auto& block : *layer) {
    auto* layer_module = block->as<TransformerBlockImpl>();
    hidden_state = layer_module->forward(hidden_state, blocked);  // (bs, seq_length, dim)
    hidden_states.push_back(hidden_state);
  }
  return hidden_states;
}

// ---- DistilBertModel --------------------------------------------------------------------------

DistilBertModelImpl::DistilBertModelImpl(const DistilBertConfig& config) {
  validate(config);
  embeddings = register_module("embeddings", Embeddings(config));
  transformer = register_module("transformer", Transformer(config));
}

std::vector<torch::Tensor> DistilBertModelImpl::forward(const torch::Tensor& input_ids,
                                                        const torch::Tensor& attention_mask) {
  if (input_ids.dim() != 2) {
    throw Error("DistilBERT: input_ids must be (batch, seq_length), got " +
                std::to_string(input_ids.dim()) + " dimensions");
  }
  if (attention_mask.defined() && attention_mask.sizes() != input_ids.sizes()) {
    throw Error("DistilBERT: attention_mask shape must equal input_ids shape");
  }
  torch::Tensor blocked;  // (bs, 1, 1, seq_length)
  if (attention_mask.defined()) blocked = blocked_padding(attention_mask);
  auto inputs_embeds = embeddings(input_ids);  // (bs, seq_length, dim)
  return transformer(inputs_embeds, blocked);  // n_layers + 1 of (bs, seq_length, dim)
}

std::vector<torch::Tensor> DistilBertModelImpl::forward_packed(const torch::Tensor& input_ids,
                                                               const torch::Tensor& position_ids,
                                                               const torch::Tensor& segment_ids) {
  if (input_ids.dim() != 2 || position_ids.sizes() != input_ids.sizes() ||
      segment_ids.sizes() != input_ids.sizes()) {
    throw Error(
        "DistilBERT: a packed batch needs input_ids, position_ids and segment_ids of one "
        "(rows, R) shape");
  }
  auto inputs_embeds = embeddings(input_ids, position_ids);          // (rows, R, dim)
  return transformer(inputs_embeds, blocked_segments(segment_ids));  // n_layers + 1 of those
}

void DistilBertModelImpl::set_use_sdpa(bool use) {
  for (const auto& block : *transformer->layer) {
    block->as<TransformerBlockImpl>()->attention->set_use_sdpa(use);
  }
}

// ---- Heads ------------------------------------------------------------------------------------

DistilBertForSequenceClassificationImpl::DistilBertForSequenceClassificationImpl(
    const DistilBertConfig& config) {
  distilbert = register_module("distilbert", DistilBertModel(config));
  pre_classifier = register_module("pre_classifier", Dense(config.dim, config.dim));
  classifier = register_module("classifier", Dense(config.dim, config.num_labels));
  dropout = register_module("dropout", torch::nn::Dropout(config.seq_classif_dropout));
}

torch::Tensor DistilBertForSequenceClassificationImpl::head(const torch::Tensor& cls_states) {
  auto pooled_output = pre_classifier(cls_states);  // (bs, dim)
  pooled_output = torch::relu(pooled_output);       // (bs, dim)
  pooled_output = dropout(pooled_output);           // (bs, dim)
  return classifier(pooled_output);                 // (bs, num_labels)
}

ClassifierOutput DistilBertForSequenceClassificationImpl::forward_with_hidden(
    const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  ClassifierOutput out;
  out.hidden_states = distilbert(input_ids, attention_mask);
  out.logits = head(out.hidden_states.back().select(1, 0));  // (bs, num_labels)
  return out;
}

torch::Tensor DistilBertForSequenceClassificationImpl::forward_packed(
    const torch::Tensor& input_ids, const torch::Tensor& position_ids,
    const torch::Tensor& segment_ids, const torch::Tensor& cls_index) {
  const auto hidden = distilbert->forward_packed(input_ids, position_ids, segment_ids);
  return head(first_token_states(hidden.back(), cls_index));  // (n, num_labels)
}

torch::Tensor DistilBertForSequenceClassificationImpl::forward(
    const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  return forward_with_hidden(input_ids, attention_mask).logits;
}

ClassificationHeadImpl::ClassificationHeadImpl(const DistilBertConfig& config) {
  pre_classifier = register_module("pre_classifier", Dense(config.dim, config.dim));
  classifier = register_module("classifier", Dense(config.dim, config.num_labels));
  dropout = register_module("dropout", torch::nn::Dropout(config.seq_classif_dropout));
}

torch::Tensor ClassificationHeadImpl::forward(const torch::Tensor& embedding) {
  auto x = pre_classifier(embedding);  // (bs, dim)
  x = torch::relu(x);                  // (bs, dim)
  x = dropout(x);                      // (bs, dim)
  return classifier(x);                // (bs, num_labels)
}

// ---- Initialisation ---------------------------------------------------------------------------

namespace {

// Draws normal(0, std) on the CPU from `gen` into `param` (through a CPU buffer when the
// parameter lives elsewhere), so the values do not depend on the parameter's device.
void normal_into(torch::Tensor& param, double std, at::Generator& gen) {
  if (param.device().is_cpu() && param.scalar_type() == torch::kFloat32 && param.is_contiguous()) {
    param.normal_(0.0, std, gen);
    return;
  }
  auto values = torch::empty(param.sizes(), torch::kFloat32);
  values.normal_(0.0, std, gen);
  param.copy_(values);
}

void init_one(torch::nn::Module& m, const DistilBertConfig& config, at::Generator& gen) {
  if (auto* linear = m.as<Dense>()) {
    normal_into(linear->weight, config.initializer_range, gen);
    if (linear->bias.defined()) linear->bias.zero_();
  } else if (auto* embedding = m.as<Lookup>()) {
    normal_into(embedding->weight, config.initializer_range, gen);
    if (embedding->padding_idx) embedding->weight[*embedding->padding_idx].zero_();
  } else if (auto* norm = m.as<torch::nn::LayerNorm>()) {
    if (norm->weight.defined()) norm->weight.fill_(1.0);
    if (norm->bias.defined()) norm->bias.zero_();
  } else if (auto* emb = m.as<Embeddings>()) {
    if (config.sinusoidal_pos_embds) fill_sinusoidal_embeddings(emb->position_embeddings->weight);
  }
}

}  // namespace

void init_weights(const std::vector<torch::nn::Module*>& modules, const DistilBertConfig& config,
                  uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto* root : modules) {
    // modules() lists parents before children, so Embeddings' sinusoids overwrite the normal draw
    // of its position_embeddings only if the parent came last: handle it after the walk.
    // (modules(false) plus the root itself: modules(true) needs the root owned by a shared_ptr.)
    std::vector<torch::nn::Module*> all{root};
    for (const auto& m : root->modules(/*include_self=*/false)) all.push_back(m.get());
    for (auto* m : all) {
      if (m->as<Embeddings>() == nullptr) init_one(*m, config, gen);
    }
    for (auto* m : all) {
      if (m->as<Embeddings>() != nullptr) init_one(*m, config, gen);
    }
  }
}

void init_weights(torch::nn::Module& module, const DistilBertConfig& config, uint64_t seed) {
  init_weights(std::vector<torch::nn::Module*>{&module}, config, seed);
}

void init_head(ClassificationHead& head, const DistilBertConfig& config, uint64_t seed) {
  init_weights(*head, config, seed);
}

}  // namespace bertgrid::model
