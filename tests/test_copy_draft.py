import numpy as np

from extractor.backends.copy_draft import CopyDraft


def ids(*tokens: int) -> np.ndarray:
    return np.array(tokens, dtype=np.intc)


def test_copies_what_followed_the_latest_occurrence_of_the_suffix() -> None:
    draft = CopyDraft(num_pred_tokens=3)
    # "7 8" occurs at 0 (followed by 1 2 3) and at 5 (followed by 4 5 6): the latest wins
    assert draft(ids(7, 8, 1, 2, 3, 7, 8, 4, 5, 6, 9, 7, 8)).tolist() == [4, 5, 6]


def test_a_longer_match_beats_a_later_shorter_one() -> None:
    draft = CopyDraft(num_pred_tokens=2, max_ngram=3)
    # "1 7 8" at 0 → 20 21; "7 8" alone later at 6 → 30 31
    assert draft(ids(1, 7, 8, 20, 21, 0, 7, 8, 30, 31, 1, 7, 8)).tolist() == [20, 21]


def test_drafts_stop_at_the_end_of_the_context() -> None:
    assert CopyDraft(num_pred_tokens=5)(ids(3, 4, 9, 3, 4)).tolist() == [9, 3, 4]


def test_nothing_to_copy_gives_an_empty_draft() -> None:
    draft = CopyDraft(num_pred_tokens=4)
    assert draft(ids(1, 2, 3, 4, 5)).tolist() == []
    assert draft(ids(5)).tolist() == []
    assert draft(ids()).tolist() == []
    assert draft(ids(1, 2, 3, 4, 5)).dtype == np.intc
