"""The embedded model: ``llama_cpp.server`` as a child process on 127.0.0.1.

One server per process, started on first use, reused by every later call and batch,
and stopped at exit (atexit, Ctrl-C, errors). The child also dies with its parent
(its stdin pipe closes, see ``_serve``), so a killed run leaves no orphan.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..config import Config, cache_root
from ..endpoint import Endpoint
from . import BackendError
from .weights import MODEL_NAME, MODEL_SHA256, ensure_model

_lock = threading.Lock()
_servers: dict[tuple[str, int, int, bool], EmbeddedServer] = {}
# The server's own options, read by _serve before llama_cpp.server parses the rest.
GRAMMAR_FIRST_OPTION = "--extractor_grammar_first"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def server_command(
    model: Path,
    *,
    port: int,
    threads: int,
    n_ctx: int,
    draft_tokens: int = 0,
    grammar_first: bool = True,
    stock: bool = False,
) -> list[str]:
    """The child's command line: every setting arrives as an argument, none from the
    environment. ``stock`` runs llama-cpp-python's own server, without our options."""
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server" if stock else "extractor.backends._serve",
        "--model",
        str(model),
        "--model_alias",
        MODEL_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "true",
    ]
    if not stock:
        command += ["--logits_all", "false"]  # sampling needs only the last token's logits (see _serve)
        command += [GRAMMAR_FIRST_OPTION, "true" if grammar_first else "false"]
    if draft_tokens > 0:
        command += ["--draft_model", "prompt-lookup-decoding", "--draft_model_num_pred_tokens", str(draft_tokens)]
    return command


def own_options(argv: list[str]) -> tuple[bool, list[str]]:
    """(grammar_first, the arguments left for llama_cpp.server) from ``_serve``'s argv."""
    rest, grammar_first, args = [], True, iter(argv)
    for arg in args:
        if arg == GRAMMAR_FIRST_OPTION:
            grammar_first = next(args, "true") != "false"
        else:
            rest.append(arg)
    return grammar_first, rest


class EmbeddedServer:
    """A running ``llama_cpp.server`` child; ``stop()`` is idempotent."""

    def __init__(
        self,
        model: Path,
        *,
        threads: int,
        n_ctx: int,
        draft_tokens: int = 0,
        grammar_first: bool = True,
        pinned: bool = True,
        stock: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        """``pinned``: ``model`` is the pinned default (named and cached as such).
        ``stock`` (llama-cpp-python's own server and settings) and ``env`` (another
        build through ``LLAMA_CPP_LIB_PATH``) are for the speed benchmark's baselines."""
        self.model = model
        self.pinned = pinned
        self.port = _free_port()
        self.log_path = cache_root() / "logs" / f"llama-server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = server_command(
            model,
            port=self.port,
            threads=threads,
            n_ctx=n_ctx,
            draft_tokens=draft_tokens,
            grammar_first=grammar_first,
            stock=stock,
        )
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,  # held open, never written: closes when we exit (see _serve)
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        atexit.register(self.stop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def endpoint(self) -> Endpoint:
        return Endpoint(
            base_url=self.base_url,
            model=MODEL_NAME if self.pinned else self.model.stem,
            identity=f"embedded:{MODEL_SHA256[:16] if self.pinned else self.model.name}",
            provider="embedded-llama.cpp",
            serial=True,
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise BackendError(f"the embedded model server exited with {self.process.returncode}:\n{tail}")
            if self.healthy():
                return
            time.sleep(0.5)
        self.stop()
        raise BackendError(f"the embedded model server did not answer within {timeout_s:.0f}s (log: {self.log_path})")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


def model_file(config: Config) -> Path:
    """``config.local_model`` (any GGUF) or the pinned, hash-checked default."""
    if config.local_model is not None:
        path = config.local_model.expanduser()
        if not path.is_file():
            raise BackendError(f"the local model (EXTRACTOR_LOCAL_MODEL) points at {path}, which is not a file")
        return path
    return ensure_model()


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, config: Config, *, n_ctx: int = 8192) -> None:
        self.config = config
        self.n_ctx = n_ctx
        self.threads = config.threads or default_threads()
        self.draft_tokens = config.draft_tokens

    def start(self) -> Endpoint:
        model = model_file(self.config)
        key = (str(model), self.threads, self.draft_tokens, self.config.grammar_first)
        with _lock:
            server = _servers.get(key)
            if server is None or server.process.poll() is not None:
                server = EmbeddedServer(
                    model,
                    threads=self.threads,
                    n_ctx=self.n_ctx,
                    draft_tokens=self.draft_tokens,
                    grammar_first=self.config.grammar_first,
                    pinned=self.config.local_model is None,
                )
                _servers[key] = server
                server.wait_ready()
        return server.endpoint()

    def stop(self) -> None:
        """Servers are shared by the process and stopped at exit; see ``stop_all``."""
        return None


def stop_all() -> None:
    with _lock:
        for server in _servers.values():
            server.stop()
        _servers.clear()
