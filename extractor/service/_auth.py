"""API keys: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, compared in constant time.

Only SHA-256 digests of the keys are kept here; a presented key is hashed and compared
with every digest (``hmac.compare_digest``), so neither the time taken nor anything
logged or stored says which key, or how much of one, matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from starlette.datastructures import Headers


class ApiKeys:
    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = [_digest(key) for key in keys]

    @property
    def required(self) -> bool:
        return bool(self._digests)

    def allows(self, headers: Headers) -> bool:
        if not self._digests:
            return True
        presented = presented_key(headers)
        if not presented:
            return False
        digest = _digest(presented)
        matched = False
        for known in self._digests:  # no early exit: every key is compared
            matched |= hmac.compare_digest(digest, known)
        return matched


def presented_key(headers: Headers) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()
