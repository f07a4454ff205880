"""Keep the complete items of an answer that was cut at ``max_tokens``.

A small model sometimes repeats itself until the token limit; everything it wrote
before the cut is often fine. This closes the JSON after the last complete item of
the outermost list and lets validation decide whether the rest stands.
"""

from __future__ import annotations

_CLOSERS = {"{": "}", "[": "]"}


def close_truncated_json(text: str) -> str | None:
    """The longest prefix of ``text`` that ends after a complete item of a list nested
    in the top-level object, with the open brackets closed; None when there is none."""
    stack: list[str] = []
    in_string = escaped = False
    best: str | None = None
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in _CLOSERS:
            stack.append(char)
        elif char in "}]":
            if not stack or _CLOSERS[stack[-1]] != char:
                return best
            stack.pop()
            # just closed an item of a top-level list: {"key": [ {...} <- here
            if len(stack) == 2 and stack[0] == "{" and stack[1] == "[" and char == "}":
                best = text[: index + 1] + "]}"
    return best
