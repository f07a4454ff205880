"""Draft tokens for speculative decoding by copying from what is already in the context.

Extraction answers copy names and quotes from the article and repeat their own JSON
keys item after item, so the tokens that followed the latest earlier occurrence of the
last few tokens are a good guess for the next ones. The model still checks every
drafted token (greedy verification). Verifying several tokens in one batch rounds
differently from one at a time, so where two tokens are nearly tied the answer can
change, as it does with another CPU build (README, "The embedded model").

Differs from llama-cpp-python's ``LlamaPromptLookupDecoding``: the longest matching
suffix wins, and among equal lengths the latest occurrence (the answer's own previous
item), not the first in the prompt.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


class CopyDraft:
    """Callable as a llama-cpp-python draft model: context token ids → drafted ids."""

    def __init__(self, *, num_pred_tokens: int = 4, max_ngram: int = 4, min_ngram: int = 2) -> None:
        self.num_pred_tokens = num_pred_tokens
        self.max_ngram = max_ngram
        self.min_ngram = min_ngram

    def __call__(self, input_ids: npt.NDArray[np.intc], /, **_: object) -> npt.NDArray[np.intc]:
        ids = np.asarray(input_ids)
        length = len(ids)
        for size in range(min(self.max_ngram, length - 1), self.min_ngram - 1, -1):
            suffix = ids[length - size :]
            # every earlier start where the last `size` tokens occurred, excluding the suffix itself
            windows = np.lib.stride_tricks.sliding_window_view(ids[: length - 1], size)
            starts = np.flatnonzero((windows == suffix).all(axis=1))
            if len(starts):
                follow = int(starts[-1]) + size
                return ids[follow : follow + self.num_pred_tokens].astype(np.intc)
        return np.empty(0, dtype=np.intc)
