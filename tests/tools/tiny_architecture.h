// The smallest MoE architecture the tools tests pretrain: one layer, two routed experts plus a
// shared expert, hidden size 16. Small enough to train for a few steps inside a test.
#ifndef RLVR_TESTS_TOOLS_TINY_ARCHITECTURE_H_
#define RLVR_TESTS_TOOLS_TINY_ARCHITECTURE_H_

#include "rlvr/v1/config.pb.h"

namespace rlvr {

inline void SetTinyArchitecture(v1::ArchitectureConfig* a) {
  a->set_hidden_size(16);
  a->set_num_hidden_layers(1);
  a->set_num_attention_heads(2);
  a->set_num_key_value_heads(1);
  a->set_num_experts(2);
  a->set_num_experts_per_tok(1);
  a->set_moe_intermediate_size(8);
  a->set_shared_expert_intermediate_size(8);
  a->set_max_position_embeddings(320);
  a->set_tie_word_embeddings(true);
}

}  // namespace rlvr

#endif  // RLVR_TESTS_TOOLS_TINY_ARCHITECTURE_H_
