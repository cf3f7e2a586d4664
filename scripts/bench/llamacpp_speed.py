#!/usr/bin/env python3
"""Peer benchmark for `recur llm bench`: prompt and generation tokens/s of llama.cpp
(llama-cpp-python) on the same GGUF file, the same prompt and thread count.

    python3 scripts/bench/llamacpp_speed.py MODEL.gguf --threads 1 --prompt-tokens 128 --gen-tokens 64 --runs 3
    python3 scripts/bench/llamacpp_speed.py MODEL.gguf --requantize-q8 OUT.gguf   # write a Q8_0 copy

Build llama-cpp-python without native AMX kernels (they crash on this machine):
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" pip install llama-cpp-python
"""
import argparse
import json
import statistics
import time

import llama_cpp
from llama_cpp import Llama

PROMPT = "The customer bought green tea, a ceramic teapot and two packs of biscuits. "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requantize-q8")
    a = ap.parse_args()
    if a.requantize_q8:
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
        params.allow_requantize = True
        params.nthread = a.threads
        rc = llama_cpp.llama_model_quantize(a.model.encode(), a.requantize_q8.encode(), params)
        print(json.dumps({"requantized": a.requantize_q8, "rc": rc}))
        return
    llm = Llama(a.model, n_threads=a.threads, n_threads_batch=a.threads, n_ctx=1024, n_batch=512, verbose=False)
    base = llm.tokenize(PROMPT.encode(), add_bos=False, special=False)
    prompt = (base * (a.prompt_tokens // len(base) + 1))[: a.prompt_tokens]
    pp, tg = [], []
    for _ in range(a.runs):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(prompt)
        pp.append(len(prompt) / (time.perf_counter() - t0))
        tok = int(llm.scores[llm.n_tokens - 1].argmax())
        t0 = time.perf_counter()
        for _ in range(a.gen_tokens):
            llm.eval([tok])
            tok = int(llm.scores[llm.n_tokens - 1].argmax())
        tg.append(a.gen_tokens / (time.perf_counter() - t0))
    print(json.dumps({
        "peer": "llama-cpp-python " + llama_cpp.__version__,
        "model": a.model, "threads": a.threads, "prompt_tokens": len(prompt), "gen_tokens": a.gen_tokens,
        "prompt_tokens_per_second": pp, "generation_tokens_per_second": tg,
        "median_prompt_tokens_per_second": statistics.median(pp),
        "median_generation_tokens_per_second": statistics.median(tg),
    }))


if __name__ == "__main__":
    main()
