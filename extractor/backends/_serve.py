"""``llama_cpp.server`` that exits when its parent does, however the parent ended.

The parent holds the write end of this process's stdin and never writes. When the
parent exits, even by SIGKILL, the pipe closes, the read below returns, and the server
process ends with it: no orphan keeps 2 GB of memory and a port.

The server's model class is replaced by ``_Llama`` (see there) before the server builds it.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

import llama_cpp
import numpy as np

from .copy_draft import CopyDraft
from .embedded import own_options


class _Llama(llama_cpp.Llama):
    """``Llama`` that does less work per token.

    Logits: with a draft model, llama-cpp-python computes and copies the logits of every
    token, the whole prompt included (151,936 floats each for this model), and the stock
    server asks for them even without one (``logits_all`` defaults to true), although
    sampling reads them from llama.cpp's context and needs them only for the last prompt
    token and for each token of a draft being verified. Here a prompt gets its last
    token's logits and a verification batch (one sampled token + drafts) gets all of
    them; nothing is copied to ``scores``, so logprobs are not available.

    Grammar: at temperature 0 with a grammar, the stock chain checks all 151,936
    candidates against the grammar for every token (a large share of the server's busy
    time), then takes the best. Here the best token after the repetition
    penalty is checked alone first; only if the grammar rejects it are all candidates
    checked. The best allowed token is the same either way
    (``Config.grammar_first=False`` turns this off, for the speed benchmark).

    Drafts come from ``CopyDraft`` rather than llama-cpp-python's first-occurrence
    prompt lookup.
    """

    grammar_first = True  # set by main() from the command line

    def __init__(self, *args: Any, draft_model: Any = None, **kwargs: Any) -> None:
        if draft_model is not None:
            draft_model = CopyDraft(num_pred_tokens=draft_model.num_pred_tokens)
        self._grammar: Any = None  # the grammar sampler kept out of the current chain
        self._grammar_chain: Any = None  # the chain it belongs with
        self._grammar_first = self.grammar_first
        super().__init__(*args, draft_model=draft_model, **kwargs)
        self._verify_batch = draft_model.num_pred_tokens + 1 if draft_model is not None else 0
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)

    def eval(self, tokens: Sequence[int]) -> None:
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        every = len(tokens) <= self._verify_batch
        for i in range(0, len(tokens), self.n_batch):
            batch = tokens[i : i + self.n_batch]
            n_past = self.n_tokens
            self._batch.set_batch(batch=batch, n_past=n_past, logits_all=every)
            self._ctx.decode(self._batch)
            self.input_ids[n_past : n_past + len(batch)] = batch
            self.n_tokens += len(batch)
            self._requires_eval = False

    def _init_sampler(self, **options: Any) -> Any:
        if self._grammar is not None:
            llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = self._grammar_chain = None
        grammar = options.get("grammar")
        greedy = options.get("temp") == 0.0 and options.get("logits_processor") is None
        if not (self._grammar_first and grammar is not None and greedy):
            return super()._init_sampler(**options)
        chain = super()._init_sampler(**{**options, "grammar": None})  # penalties → greedy
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            self._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        self._grammar_chain = chain
        return chain

    def sample(self, *args: Any, idx: int | None = None, **kwargs: Any) -> int:
        chain = self._sampler
        if self._grammar is None or chain is None or chain is not self._grammar_chain:
            return int(super().sample(*args, idx=idx, **kwargs))
        ridx = idx - self.n_tokens if idx is not None else -1
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self._ctx.ctx, ridx), shape=(self._n_vocab,))
        candidates = self._candidates
        candidates.copy_logits(logits)
        candidates.candidates.selected = -1
        llama_cpp.llama_sampler_apply(chain.sampler, ctypes.byref(candidates.candidates))  # penalties, greedy
        token = int(candidates.candidates_data.id[candidates.candidates.selected])
        if not self._grammar_allows(token):
            llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates.candidates))
            token = int(candidates.candidates_data.id[int(np.argmax(candidates.candidates_data.logit))])
        llama_cpp.llama_sampler_accept(chain.sampler, token)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        return token

    def _grammar_allows(self, token: int) -> bool:
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 0.0, 0.0
        self._one_array.size, self._one_array.selected = 1, -1
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        return not math.isinf(self._one[0].logit)


def _exit_when_parent_goes() -> None:
    try:
        while sys.stdin.buffer.read(1):
            pass
    finally:
        os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_when_parent_goes, name="parent-watch", daemon=True).start()
    _Llama.grammar_first, sys.argv[1:] = own_options(sys.argv[1:])
    llama_cpp.Llama = _Llama  # type: ignore[misc]  # the server builds its model as llama_cpp.Llama(...)
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
