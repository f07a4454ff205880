"""The Ray engine on a two-node cluster on this machine (``ray.cluster_utils.Cluster``, as
Ray's own tests build one): articles spread over both nodes, one model server per node
shared by that node's actors, and an actor killed in the middle of a batch loses nothing.

Each node's model server is the stub endpoint started inside that node's
``NodeModelServer`` actor (``node_backend``), where the embedded model would load: the
same per-node mechanism, without loading a model on this shared CPU.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from extractor.backends.weights import MODEL_NAME
from extractor.config import Config
from extractor.endpoint import Endpoint

from .support.openai_stub import StubEndpoint
from .support.recorded import answer_from_recordings, seed_variations

if os.environ.get("CI") == "true":
    import ray  # CI installs the ray extra: its absence is a failure there, not a skip
else:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install '.[ray]')")

from ray.cluster_utils import Cluster  # noqa: E402

from extractor.engines import BatchJob  # noqa: E402
from extractor.engines.ray import RayEngine  # noqa: E402


class StubServerBackend:
    """A node's model server: the stub endpoint, in the process of the node's server actor."""

    name = "stub-node-server"

    def __init__(self, config: Config) -> None:
        self.stub: StubEndpoint | None = None

    def start(self) -> Endpoint:
        self.stub = StubEndpoint(answer_from_recordings, delay_s=0.25).__enter__()
        return Endpoint(base_url=self.stub.base_url, model=MODEL_NAME, identity="stub-node", provider="stub")

    def stop(self) -> None:
        if self.stub is not None:
            self.stub.__exit__()
            self.stub = None


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def two_nodes() -> Any:
    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def test_two_nodes_share_the_work_and_a_killed_actor_loses_nothing(two_nodes: Any, tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed_variations(40)), encoding="utf-8")
    out = tmp_path / "out"
    config = Config(mode="llama_json", cache_dir=tmp_path / "cache", max_attempts=2)
    engine = RayEngine(address=two_nodes.address, actors=4, node_backend=StubServerBackend)
    killed: dict[str, Any] = {}
    finished = threading.Event()

    def kill_a_busy_actor() -> None:
        """Once some articles are written, ray.kill an actor that holds unfinished ones
        (Ray restarts it, as it would after a crash), and note what it held."""
        while not finished.wait(0.05):
            if engine.monitor is None or not lines(out / "facts.jsonl"):
                continue
            try:
                busy = ray.get(engine.monitor.busy.remote(), timeout=5)
            except Exception:
                continue
            if not busy:
                continue
            victim = busy[0]
            written = {r["article"]["id"] for r in lines(out / "facts.jsonl")}
            killed.update(victim, written=written)
            ray.kill(victim["handle"], no_restart=False)
            return

    killer = threading.Thread(target=kill_a_busy_actor, daemon=True)
    killer.start()
    try:
        result = engine.run(BatchJob((inputs,), out, config, concurrency=8))
    finally:
        finished.set()
        killer.join(timeout=10)

    done = [r["article"]["id"] for r in lines(out / "facts.jsonl")]
    assert len(done) == len(set(done)) == 40 and result.ok == 40
    assert lines(out / "errors.jsonl") == []
    # the kill landed mid-batch: the actor held articles that were not yet written
    assert killed, "no actor was ever seen holding articles"
    held = set(killed["ids"])
    assert held and not held & killed["written"]
    assert held <= set(done)  # sent again after the restart, each written once

    engine_report = json.loads((out / "summary.json").read_text(encoding="utf-8"))["engine"]
    assert set(engine_report["nodes"]) == {node.node_id for node in two_nodes.list_all_nodes()}, engine_report
    assert sum(engine_report["nodes"].values()) == 40
    assert engine_report["actor_restarts"] >= 1 and engine_report["retried_articles"] >= len(held)
    servers = engine_report["node_servers"]
    assert set(servers) == set(engine_report["nodes"])
    # one server per node, started once, however many of the 4 actors ran there
    assert all(info["starts"] == 1 for info in servers.values()), servers
    assert len({info["base_url"] for info in servers.values()}) == 2
    assert Counter(info["node_id"] for info in servers.values()) == Counter(set(servers))
