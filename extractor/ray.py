"""Facts for a Ray Data dataset of articles, for pipelines that already run on Ray.

    import ray
    from extractor import Config
    from extractor.ray import extract_dataset

    ds = ray.data.read_parquet("s3://bucket/articles/")      # rows with text (title, source, published_at, id)
    facts = extract_dataset(ds, config=Config(base_url=..., model=...), concurrency=256)
    facts.filter(lambda row: row["facts"] is not None).write_json("out/facts")

Each output row is one input row's result: ``id``, ``facts`` (the ``ArticleFacts``
JSON) or ``error`` (the error record as JSON), and ``node_id`` / ``worker_id``. Needs the
``ray`` extra (``pip install 'finfacts-extractor[ray]'``).
"""

from __future__ import annotations

from .engines._ray_dataset import OUTPUT_SCHEMA, extract_dataset

__all__ = ["OUTPUT_SCHEMA", "extract_dataset"]
