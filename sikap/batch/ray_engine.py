"""The same scorer as a Ray Data pipeline, for scaling out on a Ray cluster.

The driver reads inputs and writes outputs exactly like the local engine (same journal,
same resume); the work in between runs as ``map_batches`` over an actor pool whose
actors hold the model. The model travels through Ray's object store, so workers need no
access to the driver's model store. ``RAY_ADDRESS`` selects a cluster; without it a
local Ray instance is started.
"""

import json
import os
from collections.abc import Iterator

from rich.console import Console

from sikap.batch.articles import Article
from sikap.batch.scorer import OutputPaths, ScoreStats, run_scoring, score_articles
from sikap.errors import SikapError
from sikap.models.predictor import Predictor

RAY_WINDOW_SENTENCES = 40_000
ARTICLES_PER_BATCH = 32


class _ScoringActor:
    """Holds one predictor; scores a batch of articles into JSON-encoded rows and summaries."""

    def __init__(self, predictor) -> None:
        import ray

        self.predictor: Predictor = ray.get(predictor) if isinstance(predictor, ray.ObjectRef) else predictor

    def __call__(self, batch: dict) -> dict:
        fields = ("id", "text", "title", "date", "outlet", "url")
        articles = [
            Article(
                **{f: (None if batch[f][i] == "" and f != "text" else batch[f][i]) for f in fields},
                repeated=frozenset(json.loads(batch["repeated"][i])),
            )
            for i in range(len(batch["id"]))
        ]
        scored = score_articles(articles, self.predictor)
        return {
            "id": [a.id for a in articles],
            "rows": [json.dumps(rows, ensure_ascii=False) for rows, _ in scored],
            "summary": [json.dumps(summary, ensure_ascii=False) for _, summary in scored],
        }


def _start_ray(console: Console):
    """Ray, connected or started; returns the module and whether this call started it."""
    try:
        import ray
    except ImportError:
        raise SikapError("the ray engine needs Ray: pip install 'ray[data]' (or `pip install -e .[ray]`)") from None
    started = not ray.is_initialized()
    if started:
        address = os.environ.get("RAY_ADDRESS")
        console.log(f"starting Ray ({'cluster at ' + address if address else 'local instance'})")
        local = {} if address else {"_node_ip_address": "127.0.0.1"}  # a local instance talks over loopback only
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    return ray, started


def score(
    inputs: list[str],
    paths: OutputPaths,
    predictor: Predictor,
    resume: bool = False,
    strict: bool = False,
    console: Console | None = None,
    window: int = RAY_WINDOW_SENTENCES,
    progress: bool = True,
    actors: int | None = None,
    repeated: bool = True,
) -> ScoreStats:
    """Score ``inputs`` into ``paths`` on Ray; the rows equal those of :func:`sikap.batch.scorer.score`."""
    console = console or Console(stderr=True)
    ray, started = _start_ray(console)
    actors = actors or max(1, int(ray.available_resources().get("CPU", 1)))
    model_ref = ray.put(predictor)

    def process(articles: list[Article]) -> Iterator[tuple[list[dict], dict]]:
        items = [
            {
                "id": a.id,
                "text": a.text,
                **{k: v or "" for k, v in a.meta().items()},
                "repeated": json.dumps(sorted(a.repeated)),
            }
            for a in articles
        ]
        dataset = ray.data.from_items(items).map_batches(
            _ScoringActor,
            fn_constructor_kwargs={"predictor": model_ref},
            batch_size=ARTICLES_PER_BATCH,
            concurrency=actors,
            num_cpus=1,
            batch_format="numpy",
        )
        for row in dataset.iter_rows():
            yield json.loads(row["rows"]), json.loads(row["summary"])

    try:
        return run_scoring(
            inputs, paths, predictor.target_names, process, resume, strict, console, window, progress, repeated
        )
    finally:
        if started:
            ray.shutdown()  # stop the actors and the local instance this call started
