"""Settings: one Config, read from the environment in one place, passed down from there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractor import ConfigError
from extractor.backends import BackendError
from extractor.backends.embedded import EmbeddedBackend, model_file, own_options, server_command
from extractor.config import Config

PACKAGE = Path(__file__).parent.parent / "extractor"


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
