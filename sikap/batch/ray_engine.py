"""The same scorer as a Ray Data pipeline, for scaling out on a Ray cluster.

The driver reads inputs and writes outputs exactly like the local engine (same journal,
same resume); the work in between runs as ``map_batches`` over an actor pool whose
actors hold the model. The model travels through Ray's object store, so workers need no
access to the driver's model store. ``RAY_ADDRESS`` selects a cluster; without it a
local Ray instance is started.
"""

import json
import os
import time

from rich.console import Console
from tqdm.auto import tqdm

from sikap.batch.readers import Article, count_articles, iter_articles
from sikap.batch.scorer import Journal, OutputPaths, ScoreStats, _windows, finalize, score_articles
from sikap.errors import InputError, SikapError
from sikap.predictor import Predictor

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
            Article(**{f: (None if batch[f][i] == "" and f != "text" else batch[f][i]) for f in fields})
            for i in range(len(batch["id"]))
        ]
        scored = score_articles(articles, self.predictor.predict, self.predictor.target_names, self.predictor.tag)
        return {
            "id": [a.id for a in articles],
            "rows": [json.dumps(rows, ensure_ascii=False) for rows, _ in scored],
            "summary": [json.dumps(summary, ensure_ascii=False) for _, summary in scored],
        }


def _start_ray(console: Console):
    try:
        import ray
    except ImportError:
        raise SikapError("the ray engine needs Ray: pip install 'ray[data]' (or `pip install -e .[ray]`)") from None
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        console.log(f"starting Ray ({'cluster at ' + address if address else 'local instance'})")
        local = {} if address else {"_node_ip_address": "127.0.0.1"}  # a local instance talks over loopback only
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    return ray


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
) -> ScoreStats:
    """Score ``inputs`` into ``paths`` on Ray; the rows equal those of :func:`sikap.batch.scorer.score`."""
    console = console or Console(stderr=True)
    ray = _start_ray(console)
    actors = actors or max(1, int(ray.available_resources().get("CPU", 1)))
    model_ref = ray.put(predictor)
    stats = ScoreStats()
    journal = Journal(paths, resume, console)
    started = time.perf_counter()
    bar = tqdm(total=count_articles(inputs), unit=" articles", disable=not progress, dynamic_ncols=True)
    try:
        for articles, bad in _windows(iter_articles(inputs), window):
            for record in bad:
                if strict:
                    raise InputError(f"{record} (--strict)")
                stats.bad.append(record)
                bar.write(f"skipped {record}")
            todo = [a for a in articles if a.id not in journal.done]
            stats.resumed += len(articles) - len(todo)
            bar.update(len(bad) + len(articles) - len(todo))
            if not todo:
                continue
            items = [{"id": a.id, "text": a.text, **{k: v or "" for k, v in a.meta().items()}} for a in todo]
            dataset = ray.data.from_items(items).map_batches(
                _ScoringActor,
                fn_constructor_kwargs={"predictor": model_ref},
                batch_size=ARTICLES_PER_BATCH,
                concurrency=actors,
                num_cpus=1,
                batch_format="numpy",
            )
            for row in dataset.iter_rows():
                summary = json.loads(row["summary"])
                journal.write(str(row["id"]), json.loads(row["rows"]), summary)
                stats.articles += 1
                stats.sentences += summary["sentences"]
                stats.skipped_segments += summary["skipped"]
                bar.update(1)
            elapsed = time.perf_counter() - started
            bar.set_postfix(sent_per_s=f"{stats.sentences / elapsed:.0f}", art_per_s=f"{stats.articles / elapsed:.1f}")
    finally:
        bar.close()
        journal.close()
    stats.seconds = time.perf_counter() - started
    finalize(paths, predictor.target_names)
    return stats
