"""Settings: one Config, read from the environment in one place and passed down from
there; which source wins, and a bad value from any source stops the run before anything
is read, naming the setting and what it allows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor import ConfigError
from extractor.backends import BackendError
from extractor.backends.embedded import EmbeddedBackend, model_file, own_options, server_command
from extractor.cli import app
from extractor.config import MODES, Config

from .support.openai_stub import StubEndpoint
from .support.recorded import answer_from_recordings, seed_variations

PACKAGE = Path(__file__).parent.parent / "extractor"

FAMILIES = (
    "EXTRACTOR_BASE_URL",
    "EXTRACTOR_MODEL",
    "EXTRACTOR_API_KEY",
    "EXTRACTOR_MODE",
    "EXTRACTOR_TIMEOUT_S",
    "EXTRACTOR_STALL_TIMEOUT_S",
    "EXTRACTOR_MAX_ATTEMPTS",
    "EXTRACTOR_LOCAL_MODEL",
    "EXTRACTOR_THREADS",
    "EXTRACTOR_DRAFT_TOKENS",
    "EXTRACTOR_GRAMMAR_FIRST",
    "EXTRACTOR_API_KEYS",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FAMILIES:
        monkeypatch.delenv(name, raising=False)


def test_extractor_variables_win_over_openai_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for family in ("EXTRACTOR", "OPENAI"):
        monkeypatch.setenv(f"{family}_BASE_URL", f"http://{family.lower()}.example/v1")
        monkeypatch.setenv(f"{family}_MODEL", f"{family.lower()}-model")
        monkeypatch.setenv(f"{family}_API_KEY", f"sk-{family.lower()}")
    config = Config.from_env()
    assert (config.base_url, config.model, config.api_key) == (
        "http://extractor.example/v1",
        "extractor-model",
        "sk-extractor",
    )


def test_openai_variables_fill_in_when_extractor_ones_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai.example/v1")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("EXTRACTOR_MODEL", "")  # empty counts as unset
    config = Config.from_env()
    assert (config.base_url, config.model, config.api_key) == ("http://openai.example/v1", "gpt-from-env", "sk-openai")


def test_arguments_win_over_both_families(monkeypatch: pytest.MonkeyPatch) -> None:
    for family in ("EXTRACTOR", "OPENAI"):
        monkeypatch.setenv(f"{family}_BASE_URL", f"http://{family.lower()}.example/v1")
        monkeypatch.setenv(f"{family}_MODEL", f"{family.lower()}-model")
    monkeypatch.setenv("EXTRACTOR_MODE", "json")
    monkeypatch.setenv("EXTRACTOR_TIMEOUT_S", "5")
    monkeypatch.setenv("EXTRACTOR_STALL_TIMEOUT_S", "2.5")
    monkeypatch.setenv("EXTRACTOR_MAX_ATTEMPTS", "7")
    from_env = Config.from_env()
    assert (from_env.mode, from_env.timeout_s, from_env.stall_timeout_s, from_env.max_attempts) == ("json", 5, 2.5, 7)
    config = Config.from_env(
        base_url="http://argument.example/v1", model="argument-model", mode="tools", timeout_s=9.0, max_attempts=2
    )
    assert (config.base_url, config.model, config.mode, config.timeout_s, config.max_attempts) == (
        "http://argument.example/v1",
        "argument-model",
        "tools",
        9.0,
        2,
    )


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("EXTRACTOR_MODE", "yaml", "allowed values are tools, json, json_schema, llama_json"),
        ("EXTRACTOR_TIMEOUT_S", "soon", "a number of seconds above 0"),
        ("EXTRACTOR_TIMEOUT_S", "-1", "a number of seconds above 0"),
        ("EXTRACTOR_STALL_TIMEOUT_S", "0", "a number of seconds above 0"),
        ("EXTRACTOR_MAX_ATTEMPTS", "0", "a whole number of at least 1"),
        ("EXTRACTOR_MAX_ATTEMPTS", "2.5", "a whole number of at least 1"),
        ("EXTRACTOR_BASE_URL", "localhost:8080", "an http:// or https:// URL"),
        ("OPENAI_BASE_URL", "ftp://example.com", "an http:// or https:// URL"),
        ("EXTRACTOR_THREADS", "0", "a whole number of at least 1"),
        ("EXTRACTOR_DRAFT_TOKENS", "-1", "a whole number, 0 or more"),
        ("EXTRACTOR_DRAFT_TOKENS", "four", "a whole number, 0 or more"),
        ("EXTRACTOR_GRAMMAR_FIRST", "perhaps", "true or false"),
    ],
)
def test_a_bad_variable_is_a_usage_error_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable) as raised:
        Config.from_env(**({} if "BASE_URL" in variable else {"base_url": "http://127.0.0.1:9/v1"}))
    assert allowed in str(raised.value)

    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps(seed_variations(1)[0], ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(inputs), "-o", str(out)]
    if "BASE_URL" not in variable:
        args += ["--base-url", "http://127.0.0.1:9/v1"]
    result = CliRunner().invoke(app, args, env={variable: value, "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 2, result.output
    assert variable in result.output and allowed in result.output
    assert not out.exists(), "nothing is read or written before the settings are checked"


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--mode", "yaml", "allowed values are " + ", ".join(MODES)),
        ("--timeout", "0", "a number of seconds above 0"),
        ("--rpm", "-5", "above 0"),
        ("--base-url", "127.0.0.1:8080/v1", "an http:// or https:// URL"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_the_option(tmp_path: Path, option: str, value: str, allowed: str) -> None:
    out = tmp_path / "out"
    args = ["run", str(tmp_path), "-o", str(out), "--base-url", "http://127.0.0.1:9/v1", option, value]
    result = CliRunner().invoke(app, args, env={"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 2
    assert option in result.output and allowed in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "yaml"},
        {"temperature": -0.1},
        {"max_tokens": 0},
        {"timeout_s": float("inf")},
        {"max_reasks": -1},
        {"retry_budget_s": 0},
        {"rpm": 0},
        {"chunk_overlap": 2400},
        {"max_attempts": True},
        {"cache": "yes"},
        {"threads": 0},
        {"draft_tokens": -1},
        {"grammar_first": "no"},
        {"local_model": "model.gguf"},
    ],
)
def test_python_arguments_are_checked_too(changes: dict[str, object]) -> None:
    (setting,) = changes
    with pytest.raises(ConfigError, match=f"invalid {setting}"):
        Config(**changes)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=f"invalid {setting}"):
        Config().with_(**changes)


def test_cli_options_win_over_the_environment(tmp_path: Path) -> None:
    """--base-url, --model and --mode over EXTRACTOR_*, as the stub sees the requests:
    the environment points nowhere, names another model and asks for another mode."""
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps(seed_variations(1)[0], ensure_ascii=False) + "\n", encoding="utf-8")
    env = {
        "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"),
        "EXTRACTOR_BASE_URL": "http://127.0.0.1:9/v1",
        "EXTRACTOR_MODEL": "model-from-env",
        "EXTRACTOR_MODE": "tools",
        "EXTRACTOR_MAX_ATTEMPTS": "1",
    }
    with StubEndpoint(answer_from_recordings) as stub:
        args = ["run", str(inputs), "-o", str(tmp_path / "out"), "--base-url", stub.base_url]
        args += ["--model", "model-from-flag", "--mode", "llama_json"]
        result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert stub.received, "--base-url won over EXTRACTOR_BASE_URL"
    for request in stub.received:
        assert request.body["model"] == "model-from-flag"
        assert request.body["response_format"]["type"] == "json_object" and "tools" not in request.body


def test_environment_mode_and_model_reach_the_wire(tmp_path: Path) -> None:
    """EXTRACTOR_MODE and OPENAI_MODEL are used when no option says otherwise."""
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps(seed_variations(1)[0], ensure_ascii=False) + "\n", encoding="utf-8")
    with StubEndpoint(answer_from_recordings) as stub:
        env = {
            "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"),
            "OPENAI_BASE_URL": stub.base_url,
            "OPENAI_MODEL": "model-from-openai-env",
            "EXTRACTOR_MODE": "llama_json",
        }
        result = CliRunner().invoke(app, ["run", str(inputs), "-o", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    assert {r.body["model"] for r in stub.received} == {"model-from-openai-env"}
    assert all(r.body["response_format"]["type"] == "json_object" for r in stub.received)


def test_embedded_settings_come_from_the_environment_and_arguments_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXTRACTOR_LOCAL_MODEL", str(tmp_path / "m.gguf"))
    monkeypatch.setenv("EXTRACTOR_THREADS", "3")
    monkeypatch.setenv("EXTRACTOR_DRAFT_TOKENS", "0")
    monkeypatch.setenv("EXTRACTOR_GRAMMAR_FIRST", "0")
    monkeypatch.setenv("EXTRACTOR_TIMEOUT_S", "2.5")
    monkeypatch.setenv("EXTRACTOR_MAX_ATTEMPTS", "2")
    config = Config.from_env(threads=1)
    assert (config.local_model, config.threads, config.draft_tokens, config.grammar_first) == (
        tmp_path / "m.gguf",
        1,
        0,
        False,
    )
    assert (config.timeout_s, config.max_attempts) == (2.5, 2)
    defaults = Config()
    assert (defaults.local_model, defaults.threads, defaults.draft_tokens, defaults.grammar_first) == (
        None,
        None,
        4,
        True,
    )


@pytest.mark.parametrize(("name", "value"), [("EXTRACTOR_THREADS", "many"), ("EXTRACTOR_GRAMMAR_FIRST", "perhaps")])
def test_an_unreadable_setting_is_a_config_error_that_names_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Config.from_env()


def test_the_embedded_backend_takes_its_settings_from_config(tmp_path: Path) -> None:
    backend = EmbeddedBackend(Config(threads=3, draft_tokens=0))
    assert (backend.threads, backend.draft_tokens) == (3, 0)
    assert EmbeddedBackend(Config()).threads >= 1
    with pytest.raises(BackendError, match="not a file"):
        model_file(Config(local_model=tmp_path / "missing.gguf"))


@pytest.mark.parametrize("grammar_first", [True, False])
def test_the_server_child_gets_its_settings_as_arguments(grammar_first: bool) -> None:
    command = server_command(
        Path("m.gguf"), port=8080, threads=2, n_ctx=4096, draft_tokens=4, grammar_first=grammar_first
    )
    assert command[1:3] == ["-m", "extractor.backends._serve"]
    read, rest = own_options(command[3:])
    assert read is grammar_first
    assert "--extractor_grammar_first" not in rest  # llama_cpp.server parses the rest
    assert rest[rest.index("--n_threads") + 1] == "2"
    assert rest[rest.index("--draft_model_num_pred_tokens") + 1] == "4"
    stock = server_command(Path("m.gguf"), port=8080, threads=2, n_ctx=4096, stock=True)
    assert stock[2] == "llama_cpp.server" and "--extractor_grammar_first" not in stock


def test_only_config_reads_the_environment() -> None:
    """Settings are read in config.py and passed down; elsewhere the environment is only
    handed on whole to a child process."""
    reads = re.compile(r"os\.environ(?!\s*,|\s*\*\*)|os\.getenv|environ\.get")
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "config.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert not reads.search(line.replace("{**os.environ", "")), f"{path.name}:{number}: {line.strip()}"
