#!/usr/bin/env python3
"""Makes the Hugging Face conformance fixtures under tests/model/fixtures/<family>/.

For each family (qwen2, qwen2_moe, qwen3, qwen3_moe) it builds a tiny random model with
transformers (fp32, eager attention, fixed seed), and writes
  config.json         the model's config as transformers saves it
  model.safetensors   the weights under Hugging Face checkpoint names (routed experts as
                      model.layers.L.mlp.experts.E.{gate,up,down}_proj.weight, as on the Hub)
  expected.safetensors
      tokens [T] int32, cu_seqlens [S+1] int32   two sequences packed without padding
      logits [T, V]                              raw logits at every position
      logprobs [T]                               log p(token t | earlier tokens), 0 at seq starts
      dlogprobs [T]                              loss weights: L = sum dlogprobs*logprobs + c*aux
      aux_loss [1], aux_coef [1], loss [1]       transformers' own load-balancing loss (MoE)
      grad.<parameter name>                      dL/d(parameter) for a few parameters
The model runs as one right-padded batch with an attention mask, so that transformers' balancing
loss covers exactly the packed tokens.

Run: python3 tests/model/make_hf_fixtures.py   (needs torch, transformers, safetensors)
"""
import json
import os

import torch
import transformers
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
SEQ_LENS = [7, 5]
VOCAB = 96

COMMON = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, intermediate_size=48, max_position_embeddings=64,
              rms_norm_eps=1e-6, hidden_act="silu")

FAMILIES = {
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM,
              dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                   tie_word_embeddings=False)),
    "qwen2_moe": (transformers.Qwen2MoeConfig, transformers.Qwen2MoeForCausalLM,
                  dict(rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                       tie_word_embeddings=False, num_experts=8, num_experts_per_tok=2,
                       moe_intermediate_size=16, shared_expert_intermediate_size=24,
                       norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[],
                       router_aux_loss_coef=0.01, output_router_logits=True)),
    "qwen3": (transformers.Qwen3Config, transformers.Qwen3ForCausalLM,
              dict(rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                   head_dim=16, attention_bias=False, tie_word_embeddings=True)),
    "qwen3_moe": (transformers.Qwen3MoeConfig, transformers.Qwen3MoeForCausalLM,
                  dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                       head_dim=8, attention_bias=True, tie_word_embeddings=False,
                       num_experts=8, num_experts_per_tok=3, moe_intermediate_size=16,
                       norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[0],
                       router_aux_loss_coef=0.02, output_router_logits=True)),
}

GRAD_NAMES = [
    "model.embed_tokens.weight",
    "model.norm.weight",
    "model.layers.0.self_attn.q_proj.weight",
    "model.layers.0.self_attn.k_proj.bias",
    "model.layers.0.self_attn.q_norm.weight",
    "model.layers.1.self_attn.v_proj.weight",
    "model.layers.1.self_attn.o_proj.bias",
    "model.layers.0.input_layernorm.weight",
    "model.layers.1.post_attention_layernorm.weight",
    "model.layers.0.mlp.gate_proj.weight",
    "model.layers.1.mlp.gate.weight",
    "model.layers.1.mlp.experts.3.gate_proj.weight",
    "model.layers.1.mlp.experts.5.down_proj.weight",
    "model.layers.1.mlp.shared_expert.up_proj.weight",
    "model.layers.1.mlp.shared_expert_gate.weight",
    "lm_head.weight",
]


def hub_state_dict(model, tensors):
    """Maps transformers' in-memory names to checkpoint names (experts split per expert)."""
    out = {}
    for name, t in tensors.items():
        if name.endswith("mlp.experts.gate_up_proj"):
            prefix = name[: -len("gate_up_proj")]
            inter = t.shape[1] // 2
            for e in range(t.shape[0]):
                out[f"{prefix}{e}.gate_proj.weight"] = t[e, :inter]
                out[f"{prefix}{e}.up_proj.weight"] = t[e, inter:]
        elif name.endswith("mlp.experts.down_proj"):
            prefix = name[: -len("down_proj")]
            for e in range(t.shape[0]):
                out[f"{prefix}{e}.down_proj.weight"] = t[e]
        else:
            out[name] = t
    return {k: v.detach().contiguous().clone() for k, v in out.items()}


def make(family):
    config_cls, model_cls, extra = FAMILIES[family]
    torch.manual_seed(1234)
    config = config_cls(**COMMON, **extra)
    config._attn_implementation = "eager"
    model = model_cls(config).float().eval()
    # Larger-than-default random weights so that every op visibly matters.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("mlp.gate.weight"):
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))

    gen = torch.Generator().manual_seed(99)
    seqs = [torch.randint(0, VOCAB, (n,), generator=gen) for n in SEQ_LENS]
    ids = torch.zeros(len(seqs), max(SEQ_LENS), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1

    out = model(input_ids=ids, attention_mask=mask,
                output_router_logits=bool(getattr(config, "output_router_logits", False)))
    logp = torch.log_softmax(out.logits.float(), dim=-1)
    weights = torch.randn(len(seqs), max(SEQ_LENS), generator=gen)
    aux = out.aux_loss if getattr(out, "aux_loss", None) is not None else torch.zeros(())
    coef = float(getattr(config, "router_aux_loss_coef", 0.0)) if family.endswith("moe") else 0.0

    tokens, cu, logits, lp_aligned, dlp = [], [0], [], [], []
    loss = coef * aux
    for i, s in enumerate(seqs):
        n = len(s)
        tokens.append(s)
        cu.append(cu[-1] + n)
        logits.append(out.logits[i, :n])
        tok_lp = logp[i, : n - 1].gather(1, s[1:, None])[:, 0]
        loss = loss + (weights[i, 1:n] * tok_lp).sum()
        lp_aligned.append(torch.cat([torch.zeros(1), tok_lp.detach()]))
        dlp.append(torch.cat([torch.zeros(1), weights[i, 1:n]]))
    loss.backward()

    grads_full = hub_state_dict(model, {n: p.grad for n, p in model.named_parameters()
                                        if p.grad is not None})
    params = hub_state_dict(model, dict(model.named_parameters()))
    if config.tie_word_embeddings:
        params.pop("lm_head.weight", None)
        grads_full.pop("lm_head.weight", None)

    d = os.path.join(OUT, family)
    os.makedirs(d, exist_ok=True)
    config.save_pretrained(d)
    save_file(params, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})

    # The checkpoint names must be what transformers itself loads.
    reloaded = model_cls.from_pretrained(d, attn_implementation="eager").float().eval()
    again = reloaded(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(again, out.logits, atol=1e-6), family

    expected = {
        "tokens": torch.cat(tokens).to(torch.int32),
        "cu_seqlens": torch.tensor(cu, dtype=torch.int32),
        "logits": torch.cat(logits).detach(),
        "logprobs": torch.cat(lp_aligned),
        "dlogprobs": torch.cat(dlp),
        "aux_loss": aux.detach().reshape(1).float(),
        "aux_coef": torch.tensor([coef]),
        "loss": loss.detach().reshape(1).float(),
    }
    for name in GRAD_NAMES:
        if name in grads_full:
            expected["grad." + name] = grads_full[name]
    save_file({k: v.contiguous() for k, v in expected.items()},
              os.path.join(d, "expected.safetensors"))
    print(family, "tokens", expected["tokens"].numel(), "grads",
          sum(1 for k in expected if k.startswith("grad.")), "loss", float(loss))


if __name__ == "__main__":
    print("torch", torch.__version__, "transformers", transformers.__version__)
    for fam in FAMILIES:
        make(fam)
