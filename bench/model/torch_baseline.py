#!/usr/bin/env python3
"""PyTorch CPU baseline for bench/model/model_bench.cc: the same work with transformers.

Loads the Hugging Face checkpoint folder written by the C++ benchmark, then times
  - training steps: forward on [train_seqs, train_len] tokens, loss = sum(w * logprob of the next
    token) + router_aux_loss_coef * aux loss, backward, grad-norm clipping to 1, AdamW step;
  - greedy batched decode of decode_steps tokens for decode_batch prompts after a prefill, with
    transformers' KV cache.
Prints one JSON object. Token ids follow the same formula as the C++ side.
"""
import argparse
import json
import time

import torch
import transformers


def token_at(seq, i, vocab):
    return (i * 7919 + seq * 104729 + 13) % vocab


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--train-seqs", type=int, default=8)
    p.add_argument("--train-len", type=int, default=128)
    p.add_argument("--decode-batch", type=int, default=8)
    p.add_argument("--prompt-len", type=int, default=64)
    p.add_argument("--decode-steps", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        a.model, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    vocab = cfg.vocab_size
    coef = float(getattr(cfg, "router_aux_loss_coef", 0.0))

    ids = torch.tensor([[token_at(s, i, vocab) for i in range(a.train_len)]
                        for s in range(a.train_seqs)])
    n_tokens = ids.numel()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    model.train()

    def train_step():
        out = model(input_ids=ids, output_router_logits=True)
        logp = torch.log_softmax(out.logits.float(), dim=-1)
        tok_lp = logp[:, :-1].gather(2, ids[:, 1:, None])[..., 0]
        loss = -tok_lp.sum() / n_tokens
        if out.aux_loss is not None:
            loss = loss + coef * out.aux_loss
        opt.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    train_step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        train_step()
    train_tps = n_tokens * a.steps / (time.perf_counter() - t0)

    model.eval()
    prompts = torch.tensor([[token_at(s, i, vocab) for i in range(a.prompt_len)]
                            for s in range(a.decode_batch)])
    with torch.no_grad():
        cache = transformers.DynamicCache(config=cfg)
        out = model(input_ids=prompts, past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        t0 = time.perf_counter()
        for _ in range(a.decode_steps):
            out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        decode_tps = a.decode_batch * a.decode_steps / (time.perf_counter() - t0)

    print(json.dumps({"framework": "pytorch", "torch_version": torch.__version__,
                      "transformers_version": transformers.__version__,
                      "threads": torch.get_num_threads(),
                      "train_tokens_per_s": train_tps, "decode_tokens_per_s": decode_tps}))


if __name__ == "__main__":
    main()
