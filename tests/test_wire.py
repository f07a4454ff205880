"""Wire conformance: what the client sends and what it parsed, checked against OpenAI's
published OpenAPI description, for every request and response in every cassette (all
modes: ``tools``, ``json``, ``json_schema``, ``llama_json``, probes and re-asks).

The description is read from ``../shared/specs/openai-openapi.json`` (never copied into
the repository). It is OpenAPI 3.1 but still marks optional nulls with ``nullable``,
which JSON Schema ignores; those are turned into ``anyOf [..., null]`` before checking.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

CASSETTES = Path(__file__).parent / "cassettes"
SPEC = Path(__file__).resolve().parent.parent.parent / "shared" / "specs" / "openai-openapi.json"

# Where a real server we record from departs from the description, spelled out: the
# check fills exactly these in, and still fails on anything else. llama-cpp-python's
# server leaves out ``message.refusal`` (required, nullable); the openai client reads
# a missing one as None.
KNOWN_OMISSIONS = {"message.refusal": None}


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    if not SPEC.exists():  # a checkout without ../shared beside it: nothing to check against
        pytest.skip(f"{SPEC} is not present (the checkout needs ../shared/specs beside it)")
    return _nullable(json.loads(SPEC.read_text(encoding="utf-8")))


@lru_cache(maxsize=4)
def validator(component: str) -> jsonschema.protocols.Validator:
    spec = _spec()
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def _interactions() -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for path in sorted(CASSETTES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for n, interaction in enumerate(data["interactions"]):
            found.append((path.name, n, interaction))
    return found


def _completions() -> list[tuple[str, int, dict[str, Any]]]:
    """The chat completion requests (doctor's GET /models before them are checked apart)."""
    return [
        (name, n, i)
        for name, n, i in INTERACTIONS
        if i["request"]["method"] == "POST" and i["request"]["uri"].endswith("/chat/completions")
    ]


INTERACTIONS = _interactions()
COMPLETIONS = _completions()


def _errors(component: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator(component).iter_errors(instance)
    ]


def test_every_mode_is_recorded() -> None:
    modes = set()
    for _, _, interaction in COMPLETIONS:
        body = json.loads(interaction["request"]["body"])
        if "tools" in body:
            modes.add("tools")
        elif (body.get("response_format") or {}).get("type") == "json_schema":
            modes.add("json_schema")
        elif (body.get("response_format") or {}).get("schema"):
            modes.add("llama_json")
        elif body.get("response_format") == {"type": "json_object"}:
            modes.add("json")
    assert modes == {"tools", "json", "json_schema", "llama_json"}


@pytest.mark.parametrize(
    "interaction", [i for _, _, i in COMPLETIONS], ids=[f"{name}:{n}" for name, n, _ in COMPLETIONS]
)
def test_recorded_traffic_conforms_to_the_openai_description(interaction: dict[str, Any]) -> None:
    request = json.loads(interaction["request"]["body"])
    assert interaction["request"]["uri"].endswith("/chat/completions")
    assert _errors("CreateChatCompletionRequest", request) == []
    if interaction["response"]["status"]["code"] != 200:
        return
    response = json.loads(interaction["response"]["body"]["string"])
    filled = copy.deepcopy(response)
    for choice in filled.get("choices", []):
        for dotted, value in KNOWN_OMISSIONS.items():
            parent, key = dotted.split(".")
            choice.get(parent, {}).setdefault(key, value)
    assert _errors("CreateChatCompletionResponse", filled) == []


def test_the_check_catches_a_wrong_body() -> None:
    """The validator is not vacuous: a body the description forbids is reported."""
    good = json.loads(COMPLETIONS[0][2]["request"]["body"])
    assert _errors("CreateChatCompletionRequest", good) == []
    assert _errors("CreateChatCompletionRequest", {**good, "messages": []})  # minItems 1
    assert _errors("CreateChatCompletionRequest", {**good, "temperature": "hot"})
    assert _errors("CreateChatCompletionRequest", {**good, "response_format": {"type": "yaml"}})
    assert _errors("CreateChatCompletionRequest", {k: v for k, v in good.items() if k != "model"})


def test_every_recorded_request_is_a_completion_or_a_model_list() -> None:
    """Nothing else goes to an endpoint; the model list answers as the description says."""
    others = [i for _, _, i in INTERACTIONS if i not in [c for _, _, c in COMPLETIONS]]
    for interaction in others:
        assert interaction["request"]["method"] == "GET" and interaction["request"]["uri"].endswith("/models")
        if interaction["response"]["status"]["code"] == 200:
            listed = json.loads(interaction["response"]["body"]["string"])
            for model in listed.get("data", []):
                model.setdefault("created", 0)  # llama-cpp-python's list leaves it out
            assert _errors("ListModelsResponse", listed) == []
