"""The mode table: defaults by base URL, what to try when a mode is refused, the README."""

from __future__ import annotations

from pathlib import Path

import httpx2
import openai
import pytest

from extractor.config import MODES, Config
from extractor.llm import _is_transient, refuses_mode
from extractor.providers import PROVIDERS, alternatives, default_mode, provider_for, provider_table

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize(
    ("base_url", "mode"),
    [
        (None, "llama_json"),
        ("https://api.openai.com/v1", "tools"),
        ("https://api.deepseek.com", "tools"),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "tools"),
        ("https://api.moonshot.cn/v1", "tools"),
        ("http://localhost:11434/v1", "json"),
        ("http://127.0.0.1:8080/v1", "llama_json"),
        ("http://gpu-box.internal:8000/v1", "tools"),  # vLLM or anything else: function calling
        ("https://evil-api.openai.com.example.org/v1", "tools"),  # a suffix of another host is not it
    ],
)
def test_default_mode_by_base_url(base_url: str | None, mode: str) -> None:
    assert default_mode(base_url) == mode
    assert Config(base_url=base_url).resolved_mode == mode


def test_an_explicit_mode_wins() -> None:
    assert Config(base_url="http://localhost:11434/v1", mode="tools").resolved_mode == "tools"


def test_alternatives_never_repeat_the_refused_mode() -> None:
    assert alternatives("json_schema", "http://localhost:8080/v1")[0] == "json"
    for mode in ("tools", "json", "json_schema", "llama_json"):
        others = alternatives(mode, None)
        assert mode not in others and len(others) == 3 and len(set(others)) == 3


def test_every_provider_defaults_to_a_mode_it_answers() -> None:
    for provider in PROVIDERS:
        assert provider.default_mode in provider.modes
        assert set(provider.modes) <= set(MODES), provider.name
    for mode in MODES:
        assert set(alternatives(mode, None)) == set(MODES) - {mode}
    assert provider_for("https://dashscope-intl.aliyuncs.com/compatible-mode/v1").name.startswith("Qwen")


def test_readme_table_is_the_data() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index("<!-- providers:start -->\n"), text.index("<!-- providers:end -->")
    assert text[start + len("<!-- providers:start -->\n") : end].strip() == provider_table()


def _status(code: int, message: str) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    response = httpx2.Response(code, request=request, json={"error": {"message": message}})
    return openai.APIStatusError(message, response=response, body={"error": {"message": message}})


def test_a_500_that_names_the_response_format_is_a_refusal_not_a_transient_fault() -> None:
    refusal = _status(500, "1 validation error: response_format.type Input should be 'text' or 'json_object'")
    assert refuses_mode(refusal, "json_schema")
    assert not refuses_mode(_status(500, "CUDA out of memory"), "json_schema")
    assert _is_transient(_status(500, "CUDA out of memory"))
    assert not refuses_mode(_status(429, "response_format rate limited"), "json_schema")  # 429 is load
    assert refuses_mode(_status(400, "tool_choice is not supported"), "tools")
