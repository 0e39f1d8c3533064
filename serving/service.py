"""Sikap HTTP service (BentoML 1.4).

``Classifier`` holds the model behind an adaptively batched API; ``Sikap`` is the public
API and validates requests, segments articles and aggregates, delegating to ``sikap``.
Concurrent requests share their calls to the Classifier (:mod:`sikap.service.coalesce`), whose BentoML
adaptive batcher forms the batches the model runs (it polls every ``SIKAP_BATCH_POLL_MS``,
:mod:`sikap.service.batching`). CPU work of the API (segmentation, assembly) runs in a worker thread, never
on the event loop, so health probes and small requests are answered while a large request is worked on.
The Classifier follows the model store while serving (hot swap, :mod:`sikap.service.hot_swap`): a newer
model the store would choose is loaded beside the old one, warmed up and swapped in; ``SIKAP_MODEL``
pins the model and turns this off, and so does serving a Bento: it serves the model packed in it.
Every response comes from one model.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable

import anyio
import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with bentoml.importing():
    from sikap.paths import use_sikap_home

    HOME = use_sikap_home()
    from sikap.models.loading import ensure_predictor, load_stored
    from sikap.models.store import resolve
    from sikap.service.api_models import (
        AnalyzeRequest,
        AnalyzeResponse,
        ArticleList,
        ClassifyRequest,
        ClassifyResponse,
        SentenceList,
        check_sentence_budget,
    )
    from sikap.service.batching import gather_ms, set_batch_poll_interval
    from sikap.service.bento import packed_models
    from sikap.service.client_errors import log_client_errors_in_one_line
    from sikap.service.coalesce import Coalescer
    from sikap.service.hot_swap import DEFAULT_POLL_SECONDS, WARM_UP, ModelSlot, SwapEvent
    from sikap.service.http_guards import ApiKeyGuard, BodyLimit, JsonErrors, OpenAPIFix
    from sikap.service.inference_thread import InferenceThread
    from sikap.service.memory import cap_onednn_cache, start_trimming
    from sikap.service.remote import call_once_more_on_reset
    from sikap.service.request_timeout import cancel_finished_timers
    from sikap.service.telemetry import service_telemetry
    from sikap.service.upgrade import read_status
    from sikap.text.articles import (
        article_mentions,
        article_segments,
        article_sentence_contexts,
        assemble,
        sentences_to_classify,
    )
    from sikap.text.context_mentions import ContextMentionDetector, mentions_from_json, mentions_to_json
    from sikap.text.targets import load_targets

BATCH_SIZE = 32  # sentences per batch: the chunk size of the API, its coalescer's batches, the batcher's max_batch_size
# Batches one request keeps queued at the Classifier: enough to keep it busy, few enough that a
# small request sent meanwhile waits for at most this many batches of a large one, not all of them.
IN_FLIGHT_PER_REQUEST = 2
# The model to serve, resolved at import: SIKAP_MODEL, else the newest ensemble, else the newest
# transformer or export, else the embedded default. Declaring it (and an ensemble's members) on
# the class makes `bentoml build` pack it into the Bento.
# On a fresh clone the store is empty; the Classifier then builds the default when it starts.
# Served from a Bento, the choice is among the models packed in it, and swapping is off.
PACKED = packed_models()
SERVED = resolve(among=PACKED)
PINNED_BY = "SIKAP_MODEL pins the model" if os.environ.get("SIKAP_MODEL") else "the Bento serves the model it packs"
POLL_SECONDS = float(os.environ.get("SIKAP_POLL_SECONDS", DEFAULT_POLL_SECONDS))
# Per-request access logs and trace spans: off unless SIKAP_REQUEST_LOG=1 (sikap.service.telemetry).
TELEMETRY = service_telemetry()
log = logging.getLogger("sikap.service")
cancel_finished_timers()  # in both workers: BentoML's request timers held each request's memory for 300 s

MODEL_SWAPS = bentoml.metrics.Counter(
    name="sikap_model_swaps", documentation="Model swaps while serving, by outcome", labelnames=["outcome"]
)
SERVED_MODEL = bentoml.metrics.Gauge(
    name="sikap_served_model", documentation="1 for the model tag being served, 0 for earlier ones", labelnames=["tag"]
)
# BentoML's own adaptive_batch_size histogram counts calls a batch merges, not sentences.
BATCH_SENTENCES = bentoml.metrics.Histogram(
    name="sikap_batch_size",
    documentation="Sentences per batch the Classifier runs",
    labelnames=["endpoint"],
    buckets=(1, 2, 4, 8, 16, 24, 32),
)


def _count_swap(event: SwapEvent) -> None:
    MODEL_SWAPS.labels(outcome="failed" if event.error else "swapped").inc()
    if not event.error:
        SERVED_MODEL.labels(tag=event.old).set(0)
        SERVED_MODEL.labels(tag=event.new).set(1)


# BentoML 1.4 renews the API's connection pool to the Classifier every `max_requests`
# calls or `max_age` seconds by closing it, which fails every call still in flight
# ("Server disconnected" → HTTP 500) under concurrent load; local sockets need no renewal.
@bentoml.service(
    workers=1,
    traffic={"timeout": 300},
    runner_connection={"max_requests": 2**31 - 1, "max_age": 10.0**9},
    **TELEMETRY,
)
class Classifier:
    """Loads the model (building the embedded default if the store is empty) and classifies batches."""

    if SERVED is not None:
        model_ref = bentoml.models.BentoModel(SERVED.tag)
        if SERVED.kind == "ensemble":  # its members are packed beside it
            transformer_ref = bentoml.models.BentoModel(SERVED.metadata["members"]["transformer"])
            default_ref = bentoml.models.BentoModel(SERVED.metadata["members"]["default"])

    def __init__(self) -> None:
        self.ready = False
        # Free heap pages go back every 10 s, but malloc is not tuned here (sikap.service.memory): with the
        # mmap threshold pinned, the model's large arrays were mapped and unmapped on every batch (+75% CPU).
        start_trimming()
        cap_onednn_cache()  # before the model runs: a torch model's worker grew with every new batch shape
        set_batch_poll_interval()  # in this process only: the Classifier's batcher (SIKAP_BATCH_POLL_MS)
        # Every model pass runs on one thread (sikap.service.inference_thread): torch's thread team belongs to the
        # thread that runs it, and BentoML's API threads would each grow one (25% slower a sentence).
        self.infer = InferenceThread()
        predictor = self.infer(ensure_predictor, SERVED.tag if SERVED else None)
        self.infer(predictor.predict, [WARM_UP])
        self.slot = ModelSlot(predictor, choose=resolve, load=load_stored, on_swap=_count_swap, run=self.infer)
        SERVED_MODEL.labels(tag=predictor.tag).set(1)
        self.pinned = bool(os.environ.get("SIKAP_MODEL")) or PACKED is not None
        if not self.pinned:  # SIKAP_MODEL or a Bento pins the model: no swaps
            self.slot.watch(POLL_SECONDS)
        log.info("serving %s%s", predictor.tag, f" ({PINNED_BY})" if self.pinned else "")
        self.ready = True

    def __is_ready__(self) -> bool:
        return self.ready

    # Tuned on 2 cores with an IndoBERT-base-sized int8 ONNX model (benchmarks/service_load.py):
    # batches above ~8 sentences gain nothing per sentence, so 32 only bounds how long one
    # batch (≈0.5 s) holds up the next. max_latency_ms only sheds queued requests (503): at
    # 1 s it shed requests at 32 concurrent clients and every request of more than 64 sentences.
    @bentoml.api(batchable=True, max_batch_size=BATCH_SIZE, max_latency_ms=60_000)
    def classify_batch(self, sentences: list[str]) -> list[dict]:
        BATCH_SENTENCES.labels(endpoint="classify_batch").observe(len(sentences))
        return self.infer(self.slot.predictor.predict, sentences)  # the slot is read once: one model per batch

    @bentoml.api(batchable=True, max_batch_size=BATCH_SIZE, max_latency_ms=60_000)
    def classify_in_context(self, items: list[dict]) -> list[dict]:
        """Sentences ``{"text", "context", "mentions"}``: ``context`` (headline and previous sentence) for models
        that read it; ``mentions`` resolved in their article, or ``None`` for alias matching in the sentence."""
        BATCH_SENTENCES.labels(endpoint="classify_in_context").observe(len(items))
        predictor = self.slot.predictor
        texts = [item["text"] for item in items]
        mentions = [
            mentions_from_json(item["mentions"]) if item.get("mentions") is not None else predictor.detector.find(text)
            for item, text in zip(items, texts, strict=True)
        ]
        contexts = [item.get("context") or "" for item in items]
        return self.infer(predictor.predict, texts, mentions=mentions, contexts=contexts)

    @bentoml.api
    def describe(self) -> dict:
        """The served model, recent swaps, and the background build of the strong model (if any)."""
        upgrade = read_status(HOME)
        return {
            **self.slot.predictor.describe(),
            **self.slot.describe(),
            "hot_swap": f"off ({PINNED_BY})" if self.pinned else f"polling the store every {POLL_SECONDS:g} s",
            "upgrade": {k: upgrade.get(k) for k in ("state", "step", "eta", "reason")} if upgrade else None,
        }


@bentoml.service(traffic={"timeout": 300}, **TELEMETRY)
class Sikap:
    """Sentiment and stance toward NATO, Russia and Ukraine in Indonesian news."""

    classifier = bentoml.depends(Classifier)

    def __init__(self) -> None:
        start_trimming()  # free heap pages go back to the system every 10 s (sikap.service.memory)
        log_client_errors_in_one_line()  # a bad request is one WARNING line, not an ERROR with a traceback
        self.resolver = ContextMentionDetector(load_targets())
        # In front of the Classifier's batchable APIs: concurrent requests share calls (one HTTP round trip
        # and one JSON body per up to BATCH_SIZE sentences, not per request); BentoML's batcher still
        # forms the batches the model runs, from these calls.
        gather = gather_ms() / 1000  # a partial batch waits this long at most for callers just answered
        self.send_sentences = Coalescer(
            lambda texts: call_once_more_on_reset(self.classifier.to_async.classify_batch, texts),
            BATCH_SIZE,
            max_gather=gather,
        )
        self.send_in_context = Coalescer(
            lambda items: call_once_more_on_reset(self.classifier.to_async.classify_in_context, items),
            BATCH_SIZE,
            max_gather=gather,
        )

    @staticmethod
    async def _in_batches(call: Callable[[list], Awaitable[list[dict]]], items: list) -> list[dict]:
        """``call`` on chunks of ``items``, at most IN_FLIGHT_PER_REQUEST at a time, results in order."""
        chunks = [items[i : i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]
        slots = asyncio.Semaphore(IN_FLIGHT_PER_REQUEST)

        async def one(chunk: list) -> list[dict]:
            async with slots:
                return await call(chunk)

        parts = await asyncio.gather(*(one(c) for c in chunks))
        return [record for part in parts for record in part]

    async def _one_model(self, call: Callable[[list], Awaitable[list[dict]]], items: list) -> list[dict]:
        """Results of ``call`` on ``items``, all from one model: when a swap lands between the batches of
        one request, the items the old model answered are sent again (swaps only go forward)."""
        results = await self._in_batches(call, items)
        for _ in range(3):
            if len({r["model"] for r in results}) <= 1:
                break
            current = (await call_once_more_on_reset(self.classifier.to_async.describe))["tag"]
            stale = [i for i, r in enumerate(results) if r["model"] != current]
            for i, r in zip(stale, await self._in_batches(call, [items[i] for i in stale]), strict=True):
                results[i] = r
        return results

    async def _classify(self, texts: list[str], context: str = "") -> list[dict]:
        if not context:
            return await self._one_model(self.send_sentences, texts)
        items = [{"text": text, "context": context, "mentions": None} for text in texts]
        return await self._one_model(self.send_in_context, items)

    @bentoml.api(input_spec=ClassifyRequest)
    async def classify(self, sentences: SentenceList, context: str = "") -> ClassifyResponse:
        """Sentiment and stance toward every target for each sentence; ``context`` (optional) is the text the
        sentences follow in their article, e.g. the headline and the sentence before."""
        results = await self._classify(sentences, context)
        return ClassifyResponse(results=results, model=results[0]["model"])

    @bentoml.api(input_spec=AnalyzeRequest)
    async def analyze(self, articles: ArticleList) -> AnalyzeResponse:
        """Segment articles, classify every real sentence, and summarize stance per target."""
        items = [a.model_dump() for a in articles]
        segmented = await anyio.to_thread.run_sync(segment_articles, items)
        texts = sentences_to_classify(segmented)
        check_sentence_budget(len(texts))
        meta = await call_once_more_on_reset(self.classifier.to_async.describe)
        batch = await anyio.to_thread.run_sync(in_context, texts, segmented, self.resolver)
        predictions = await self._one_model(self.send_in_context, batch) if texts else []
        return await anyio.to_thread.run_sync(respond, items, segmented, predictions, meta)


def segment_articles(items: list[dict]) -> list[list[dict]]:
    return [article_segments(a["title"], a["text"]) for a in items]


def in_context(texts: list[str], segmented: list[list[dict]], resolver: ContextMentionDetector) -> list[dict]:
    """Sentences with their article context and mentions resolved in it, as the Classifier receives them."""
    mentions, contexts = article_mentions(segmented, resolver), article_sentence_contexts(segmented)
    return [
        {"text": t, "context": c, "mentions": mentions_to_json(m)}
        for t, c, m in zip(texts, contexts, mentions, strict=True)
    ]


def respond(items: list[dict], segmented: list[list[dict]], predictions: list[dict], meta: dict) -> AnalyzeResponse:
    results = assemble(items, segmented, predictions, meta["targets"])
    return AnalyzeResponse(results=results, model=predictions[0]["model"] if predictions else meta["tag"])


async def _metadata(_: Request) -> JSONResponse:
    service = bentoml.get_current_service()
    return JSONResponse(await call_once_more_on_reset(service.classifier.to_async.describe))


# GET routes beside BentoML's POST APIs; BentoML's own routes match first.
_extra_routes = Starlette(routes=[Route("/metadata", _metadata, methods=["GET"])])
Sikap = bentoml.asgi_app(_extra_routes, path="/")(Sikap)
# The first added is the outermost: the API key is checked first, then the body size and type,
# all before BentoML reads the body.
Sikap.add_asgi_middleware(JsonErrors)
Sikap.add_asgi_middleware(ApiKeyGuard)
Sikap.add_asgi_middleware(BodyLimit)
Sikap.add_asgi_middleware(OpenAPIFix)
