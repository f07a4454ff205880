"""Escaping: everything an article or a model wrote reaches the page as text, never markup."""

from __future__ import annotations

import json
import re
from typing import Any

# A lone surrogate cannot be written as UTF-8; it becomes U+FFFD, one code point for one,
# so the offsets after it stay right.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\r": "&#13;"})
# Inside <script>, "</script" or "<!--" would end or derail the element; JSON can carry
# these characters as escapes instead.
_JSON_IN_SCRIPT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _clean(value: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", value)


def text_html(value: str) -> str:
    """Element content. A carriage return is written as a reference, which the HTML
    parser keeps (a literal one it would turn into a line feed)."""
    return _clean(value).translate(_TEXT)


def attr(value: object) -> str:
    """An attribute value, for use between double quotes."""
    return _clean(str(value)).translate(_ATTR)


def script_json(value: Any) -> str:
    """JSON that can stand inside ``<script type="application/json">`` as it is."""
    return _clean(json.dumps(value, ensure_ascii=False, separators=(",", ":"))).translate(_JSON_IN_SCRIPT)


def script_html(html: str) -> str:
    """Markup built here, kept inert inside ``<script type="text/html">``.

    Every text and attribute in it went through ``text_html`` or ``attr``, so no ``<``
    of an article can start ``</script`` or ``<!--``; checked, because a page that ended
    its script early would show markup as text and lose the articles after it.
    """
    lowered = html.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise ValueError("pre-rendered page contains </script or <!--")
    return html
