"""``extractor serve`` as a real subprocess on 127.0.0.1, for tests and benchmarks.

The caller gives the model endpoint (the stub, in a thread it controls) and a data
folder; the server gets a free port, its output goes to a log file the caller can
read, and it is stopped (SIGTERM, or kill -9 on request) by the caller.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from extractor.backends.weights import MODEL_NAME


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """One ``extractor serve``; ``start()`` returns once ``/readyz`` answers 200."""

    def __init__(
        self,
        data_dir: Path,
        model_url: str,
        *args: str,
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.model_url = model_url
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.log = log or data_dir.parent / f"{data_dir.name}-serve.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "extractor.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--base-url",
            self.model_url,
            "--model",
            MODEL_NAME,
            "--mode",
            "llama_json",
            *self.args,
        ]

    def launch(self) -> ServiceProcess:
        """Start the process on a free port and return at once (``ready()`` waits for it)."""
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def ready(self, timeout_s: float = 60.0) -> ServiceProcess:
        """Wait until ``/readyz`` answers 200; relaunch if another process took the port."""
        for _ in range(3):
            if self._wait_ready(timeout_s):
                return self
            if "address already in use" not in self.log_text():
                break
            self.launch()
        raise RuntimeError(f"extractor serve did not become ready; its log:\n{self.log_text()[-3000:]}")

    def start(self, timeout_s: float = 60.0) -> ServiceProcess:
        return self.launch().ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        return False

    def client(self, *, timeout: float = 30.0, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, and the exit code once it has stopped."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to write anything more."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> ServiceProcess:
        """Started and ready, unless ``launch()`` already started it (then ``ready()`` waits)."""
        return self.start() if self.process is None else self

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()
