"""Which instructor mode each well-known OpenAI-compatible endpoint answers.

Data, not code paths: the default mode for a base URL comes from this table (by host
or port), the README's provider table is rendered from it (a test keeps them equal),
and ``extractor doctor`` suggests the other modes in the order given here when the
chosen one is refused. What each provider supports is read from its public docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Provider:
    name: str
    example_base_url: str
    modes: tuple[str, ...]  # what the provider's docs say its chat completions accept
    default_mode: str
    hosts: tuple[str, ...] = ()  # host suffixes that identify it
    ports: tuple[int, ...] = ()  # local servers are known by their default port only
    note: str = ""


PROVIDERS = (
    Provider(
        "OpenAI",
        "https://api.openai.com/v1",
        ("tools", "json", "json_schema"),
        "tools",
        hosts=("api.openai.com",),
        note="forced function call; `json_schema` (structured outputs) also works",
    ),
    Provider(
        "DeepSeek",
        "https://api.deepseek.com",
        ("tools", "json"),
        "tools",
        hosts=("api.deepseek.com",),
        note="JSON Output is `json_object` only; no `json_schema`",
    ),
    Provider(
        "Qwen (DashScope compatible mode)",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        ("tools", "json", "json_schema"),
        "tools",
        hosts=("dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com"),
        note="`json_schema` only on the models DashScope lists for structured output",
    ),
    Provider(
        "Moonshot (Kimi)",
        "https://api.moonshot.cn/v1",
        ("tools", "json"),
        "tools",
        hosts=("api.moonshot.cn", "api.moonshot.ai"),
        note="JSON Mode is `json_object` only",
    ),
    Provider(
        "vLLM",
        "http://localhost:8000/v1",
        ("tools", "json", "json_schema"),
        "tools",
        note="named tool choice and `json_schema` run as guided decoding; no host to recognise it by",
    ),
    Provider(
        "Ollama",
        "http://localhost:11434/v1",
        ("json", "json_schema"),
        "json",
        ports=(11434,),
        note="OpenAI-compatible API ignores `tool_choice`, so a forced function call is not guaranteed",
    ),
    Provider(
        "llama.cpp server (`llama-server`)",
        "http://localhost:8080/v1",
        ("json", "json_schema", "llama_json"),
        "llama_json",
        ports=(8080,),
        note="`llama_json` sends the schema as a grammar; tools need `--jinja`",
    ),
    Provider(
        "llama-cpp-python server (embedded default)",
        "(started by the extractor)",
        ("tools", "json", "llama_json"),
        "llama_json",
        note="answers `json_schema` with HTTP 500; recorded in tests/cassettes",
    ),
)


def provider_for(base_url: str | None) -> Provider | None:
    """The table's provider for this base URL, when its host or port says which."""
    if not base_url:
        return None
    parts = urlsplit(base_url if "//" in base_url else f"//{base_url}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    for provider in PROVIDERS:
        if any(host == h or host.endswith("." + h) for h in provider.hosts):
            return provider
        if port is not None and port in provider.ports:
            return provider
    return None


def default_mode(base_url: str | None) -> str:
    """``llama_json`` for the embedded model; the provider's mode where the URL names
    one; else ``tools`` (function calling: what most endpoints support)."""
    if base_url is None:
        return "llama_json"
    provider = provider_for(base_url)
    return provider.default_mode if provider else "tools"


def alternatives(mode: str, base_url: str | None) -> list[str]:
    """Modes worth trying when ``mode`` is refused, most likely to work first."""
    provider = provider_for(base_url)
    ordered = list(provider.modes) if provider else ["json", "tools", "llama_json", "json_schema"]
    ordered += [m for m in ("json", "tools", "llama_json", "json_schema") if m not in ordered]
    return [m for m in ordered if m != mode]


def provider_table() -> str:
    """The README's provider table, rendered from ``PROVIDERS``."""
    lines = [
        "| provider | base URL | modes it answers | default here | note |",
        "|---|---|---|---|---|",
    ]
    for p in PROVIDERS:
        modes = ", ".join(f"`{m}`" for m in p.modes)
        lines.append(f"| {p.name} | `{p.example_base_url}` | {modes} | `{p.default_mode}` | {p.note} |")
    return "\n".join(lines)
