"""Greedy sampling under a grammar that checks the best token first (server process only).

llama-cpp-python samples through llama.cpp's sampler chain, in which the grammar
sampler tests every one of the vocabulary's 151,936 tokens against the grammar before
the greedy pick: on 2 cores that costs 30–80 ms per generated token, as much as the
forward pass. At temperature 0 only the best grammar-allowed token matters, so this
sampler takes the best token after the repetition penalties and asks the grammar about
that one token; only when the grammar refuses it are all tokens tested (what llama.cpp's
own ``common`` sampler does). The chosen token is the one the chain would choose.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np
from llama_cpp import llama_cpp
from llama_cpp._internals import LlamaSampler, LlamaTokenDataArray
from llama_cpp.llama import Llama


class GrammarFirstSampler:
    """Penalties, then greedy under a grammar, with the grammar asked about one token first."""

    def __init__(self, llama: Llama, grammar: Any, *, repeat: float, frequency: float, presence: float) -> None:
        self.n_vocab = llama.n_vocab()
        self.penalties = LlamaSampler()
        self.penalties.add_penalties(
            n_vocab=self.n_vocab,
            penalty_last_n=llama.last_n_tokens_size,
            penalty_repeat=repeat,
            penalty_freq=frequency,
            penalty_present=presence,
        )
        self.grammar = LlamaSampler()
        self.grammar.add_grammar(llama._model, grammar)
        self.all = LlamaTokenDataArray(n_vocab=self.n_vocab)
        self.one = LlamaTokenDataArray(n_vocab=1)
        self.fast = 0  # tokens decided by the one-token check
        self.slow = 0  # tokens that needed the whole vocabulary

    def sample(self, ctx: Any, idx: int = -1) -> int:
        logits = llama_cpp.llama_get_logits_ith(ctx.ctx, idx)
        self.all.copy_logits(np.ctypeslib.as_array(logits, shape=(self.n_vocab,)))
        llama_cpp.llama_sampler_apply(self.penalties.sampler, ctypes.byref(self.all.candidates))
        data = self.all.candidates_data
        best = int(np.argmax(data.logit))
        token = int(data.id[best])
        self.one.candidates_data.id[0] = token
        self.one.candidates_data.logit[0] = data.logit[best]
        self.one.candidates.size = 1
        llama_cpp.llama_sampler_apply(self.grammar.sampler, ctypes.byref(self.one.candidates))
        if math.isinf(float(self.one.candidates_data.logit[0])):
            self.slow += 1
            llama_cpp.llama_sampler_apply(self.grammar.sampler, ctypes.byref(self.all.candidates))
            size = self.all.candidates.size
            best = int(np.argmax(data.logit[:size]))
            token = int(data.id[best])
        else:
            self.fast += 1
        self.penalties.accept(token)
        self.grammar.accept(token)
        return token


def install() -> None:
    """Route temperature-0 requests with a grammar through GrammarFirstSampler."""
    original = Llama._init_sampler

    def init_sampler(self: Llama, **kwargs: Any) -> Any:
        grammar = kwargs.get("grammar")
        if grammar is None or kwargs.get("temp") != 0.0 or kwargs.get("logits_processor") is not None:
            return original(self, **kwargs)
        return GrammarFirstSampler(
            self,
            grammar,
            repeat=kwargs.get("repeat_penalty", 1.0),
            frequency=kwargs.get("frequency_penalty", 0.0),
            presence=kwargs.get("presence_penalty", 0.0),
        )

    Llama._init_sampler = init_sampler  # type: ignore[method-assign]
