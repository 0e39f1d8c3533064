"""Sikap HTTP service (BentoML 1.4).

``Classifier`` holds the model behind an adaptively batched API; ``Sikap`` is the public
API and validates requests, segments articles and aggregates, delegating to ``sikap``.
CPU work of the API (segmentation, assembly) runs in a worker thread, never on the event
loop, so health probes and small requests are answered while a large request is worked on.
"""

import asyncio

import anyio
import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with bentoml.importing():
    from sikap.paths import use_sikap_home

    use_sikap_home()
    from sikap.analyze import article_segments, assemble, sentences_to_classify
    from sikap.api_models import (
        AnalyzeRequest,
        AnalyzeResponse,
        ArticleList,
        ClassifyRequest,
        ClassifyResponse,
        SentenceList,
        check_sentence_budget,
    )
    from sikap.http_guards import ApiKeyGuard, BodyLimit, JsonErrors, OpenAPIFix
    from sikap.loading import ensure_predictor
    from sikap.store import resolve

BATCH_SIZE = 32  # sentences per batch: the chunk size of the API and the batcher's max_batch_size
# Batches one request keeps queued at the Classifier: enough to keep it busy, few enough that a
# small request sent meanwhile waits for at most this many batches of a large one, not all of them.
IN_FLIGHT_PER_REQUEST = 2
# The model to serve, resolved at import: SIKAP_MODEL, else the newest transformer, else the
# embedded default. Declaring it on the class makes `bentoml build` pack it into the Bento.
# On a fresh clone the store is empty; the Classifier then builds the default when it starts.
SERVED = resolve()


# BentoML 1.4 renews the API's connection pool to the Classifier every `max_requests`
# calls or `max_age` seconds by closing it, which fails every call still in flight
# ("Server disconnected" → HTTP 500) under concurrent load; local sockets need no renewal.
@bentoml.service(workers=1, traffic={"timeout": 300}, runner_connection={"max_requests": 2**31 - 1, "max_age": 10.0**9})
class Classifier:
    """Loads the model (building the embedded default if the store is empty) and classifies batches."""

    if SERVED is not None:
        model_ref = bentoml.models.BentoModel(SERVED.tag)

    def __init__(self) -> None:
        self.ready = False
        self.predictor = ensure_predictor(SERVED.tag if SERVED else None)
        self.predictor.predict(["Warm-up: NATO, Rusia dan Ukraina."])
        self.ready = True

    def __is_ready__(self) -> bool:
        return self.ready

    # Tuned on 2 cores with an IndoBERT-base-sized int8 ONNX model (benchmarks/service_load.py):
    # batches above ~8 sentences gain nothing per sentence, so 32 only bounds how long one
    # batch (≈0.5 s) holds up the next. max_latency_ms only sheds queued requests (503): at
    # 1 s it shed requests at 32 concurrent clients and every request of more than 64 sentences.
    @bentoml.api(batchable=True, max_batch_size=BATCH_SIZE, max_latency_ms=60_000)
    def classify_batch(self, sentences: list[str]) -> list[dict]:
        return self.predictor.predict(sentences)

    @bentoml.api
    def describe(self) -> dict:
        return self.predictor.describe()


@bentoml.service(traffic={"timeout": 300})
class Sikap:
    """Sentiment and stance toward NATO, Russia and Ukraine in Indonesian news."""

    classifier = bentoml.depends(Classifier)

    async def _classify(self, texts: list[str]) -> list[dict]:
        chunks = [texts[i : i + BATCH_SIZE] for i in range(0, len(texts), BATCH_SIZE)]
        slots = asyncio.Semaphore(IN_FLIGHT_PER_REQUEST)

        async def one(chunk: list[str]) -> list[dict]:
            async with slots:
                return await self.classifier.to_async.classify_batch(chunk)

        parts = await asyncio.gather(*(one(c) for c in chunks))
        return [record for part in parts for record in part]

    @bentoml.api(input_spec=ClassifyRequest)
    async def classify(self, sentences: SentenceList) -> ClassifyResponse:
        """Sentiment and stance toward every target for each sentence."""
        results = await self._classify(sentences)
        return ClassifyResponse(results=results, model=results[0]["model"])

    @bentoml.api(input_spec=AnalyzeRequest)
    async def analyze(self, articles: ArticleList) -> AnalyzeResponse:
        """Segment articles, classify every real sentence, and summarize stance per target."""
        items = [a.model_dump() for a in articles]
        segmented = await anyio.to_thread.run_sync(segment_articles, items)
        texts = sentences_to_classify(segmented)
        check_sentence_budget(len(texts))
        meta = await self.classifier.to_async.describe()
        predictions = await self._classify(texts) if texts else []
        return await anyio.to_thread.run_sync(respond, items, segmented, predictions, meta)


def segment_articles(items: list[dict]) -> list[list[dict]]:
    return [article_segments(a["title"], a["text"]) for a in items]


def respond(items: list[dict], segmented: list[list[dict]], predictions: list[dict], meta: dict) -> AnalyzeResponse:
    results = assemble(items, segmented, predictions, meta["targets"])
    return AnalyzeResponse(results=results, model=meta["tag"])


async def _metadata(_: Request) -> JSONResponse:
    service = bentoml.get_current_service()
    return JSONResponse(await service.classifier.to_async.describe())


# GET routes beside BentoML's POST APIs; BentoML's own routes match first.
_extra_routes = Starlette(routes=[Route("/metadata", _metadata, methods=["GET"])])
Sikap = bentoml.asgi_app(_extra_routes, path="/")(Sikap)
# The first added is the outermost: the API key is checked first, then the body size and type,
# all before BentoML reads the body.
Sikap.add_asgi_middleware(JsonErrors)
Sikap.add_asgi_middleware(ApiKeyGuard)
Sikap.add_asgi_middleware(BodyLimit)
Sikap.add_asgi_middleware(OpenAPIFix)
