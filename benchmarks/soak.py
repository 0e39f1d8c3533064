"""Soak test of the HTTP service: N minutes at C concurrent clients mixing good and bad requests.

Each client loops over a random mix: 55% ``/classify`` (1-16 sentences), 25% ``/analyze``
(1-3 articles of 1-6k characters) and 20% bad requests (malformed JSON, an unknown field, a
blank sentence, over the work budget, a body over the byte limit, a wrong content type), which
must get a JSON 4xx. Prints server errors (5xx or a dropped connection; must be 0), wrong answers
to bad requests, p50/p99 latency per kind, and the RSS of the service (all its processes) after
warm-up, halfway and at the end (growth over the second half tells a leak from warming up).

Starts the service on an empty store (it builds the embedded default model first), or on the store
``--home`` serving ``--model`` (the store is not written to), unless ``--url`` is given. ``lscpu`` is
printed first.

    python benchmarks/soak.py [--minutes 10] [--concurrency 32] [--home DIR --model TAG]
                              [--url http://127.0.0.1:3000 --pid PID] [--warmup 20]
"""

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import ClassVar

import httpx
import psutil

from sikap.cpu import lscpu_summary
from sikap.data.labels import load_labels
from sikap.service.api_models import MAX_BODY_BYTES, MAX_REQUEST_CHARS
from sikap.service.process import running_service


def service_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    return sum(rss_by_process(pid).values())


def rss_by_process(pid: int) -> dict[str, int]:
    """RSS per process of the service: bentoml serve, the API worker (Sikap), the Classifier worker."""
    root = psutil.Process(pid)
    sizes = {}
    for process in [root, *root.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess, ValueError, IndexError):
            cmdline = process.cmdline()
            name = cmdline[cmdline.index("--service-name") + 1] if "--service-name" in cmdline else "bentoml serve"
            sizes[f"{name} ({process.pid})"] = process.memory_info().rss
    return sizes


class Traffic:
    """Random requests built from the shipped label sentences."""

    sentences: ClassVar[list[str]] = []
    huge = b'{"sentences": ["' + b"a" * MAX_BODY_BYTES + b'"]}'

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        if not Traffic.sentences:  # loaded once, before the clients start
            Traffic.sentences = [s.text for s in load_labels().sentences if s.text.strip()]

    def text(self, chars: int) -> str:
        parts, size = [], 0
        while size < chars:
            line = " ".join(self.rng.choices(self.sentences, k=4))
            parts.append(line)
            size += len(line) + 1
        return "\n".join(parts)

    def next(self) -> tuple[str, str, dict]:
        """(kind, path, httpx keyword arguments)."""
        roll = self.rng.random()
        if roll < 0.55:
            return (
                "classify",
                "/classify",
                {"json": {"sentences": self.rng.sample(self.sentences, self.rng.randint(1, 16))}},
            )
        if roll < 0.80:
            articles = [
                {
                    "id": str(i),
                    "title": self.rng.choice(self.sentences),
                    "text": self.text(self.rng.randint(1_000, 6_000)),
                }
                for i in range(self.rng.randint(1, 3))
            ]
            return "analyze", "/analyze", {"json": {"articles": articles}}
        bad = self.rng.choice(
            [
                ("/classify", {"content": b'{"sentences": ["Rusia', "headers": {"content-type": "application/json"}}),
                ("/classify", {"json": {"sentences": ["NATO."], "extra": 1}}),
                ("/classify", {"json": {"sentences": ["   "]}}),
                ("/analyze", {"json": {"articles": [{"text": "Ya. " * 2_001}]}}),
                ("/analyze", {"json": {"articles": [{"text": "a" * 100_000}] * 3}}),
                ("/classify", {"content": self.huge, "headers": {"content-type": "application/json"}}),
                ("/classify", {"content": b"sentences=x", "headers": {"content-type": "text/plain"}}),
                ("/analyze", {"json": {"articles": "x" * (MAX_REQUEST_CHARS // 10)}}),
            ]
        )
        return "bad", bad[0], bad[1]


async def client(url: str, deadline: float, seed: int, results: dict, headers: dict) -> None:
    traffic = Traffic(seed)
    async with httpx.AsyncClient(base_url=url, timeout=300, headers=headers) as http:
        while time.monotonic() < deadline:
            kind, path, kwargs = traffic.next()
            start = time.perf_counter()
            try:
                response = await http.post(path, **kwargs)
                status = response.status_code
                ok = (status == 200) if kind != "bad" else (400 <= status < 500 and "detail" in response.json())
            except (httpx.TransportError, ValueError) as exc:
                status, ok = f"{type(exc).__name__}", False
            results["latency"][kind].append(time.perf_counter() - start)
            results["status"][(kind, status)] += 1
            if not ok:
                results["wrong"][(kind, status)] += 1


async def soak(url: str, pid: int, minutes: float, concurrency: int, headers: dict, warmup: int = 20) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as http:  # warm-up
        for _ in range(warmup):
            await http.post("/analyze", json={"articles": [{"text": Traffic(0).text(3_000)}]})
    rss_start, parts_start = service_rss(pid), rss_by_process(pid)
    results: dict = {"latency": defaultdict(list), "status": Counter(), "wrong": Counter()}
    deadline = time.monotonic() + minutes * 60
    tasks = [asyncio.create_task(client(url, deadline, seed, results, headers)) for seed in range(concurrency)]
    started, settled = time.monotonic(), None
    while not all(t.done() for t in tasks):
        await asyncio.wait(tasks, timeout=30)  # a progress line every 30 s, and one as soon as the clients are done
        done, rss, elapsed = sum(results["status"].values()), service_rss(pid), time.monotonic() - started
        if settled is None and elapsed >= minutes * 60 / 2:
            settled = rss  # halfway: pools, caches and allocator arenas have reached their working size
        parts = ", ".join(f"{name.split(' (')[0]} {size / 2**20:,.0f}" for name, size in rss_by_process(pid).items())
        print(f"  {elapsed:5.0f} s  {done:,} requests  RSS {rss / 2**20:,.0f} MiB ({parts})", flush=True)
    await asyncio.gather(*tasks)
    rss_end, parts_end = service_rss(pid), rss_by_process(pid)

    server_errors = sum(
        n for (_, status), n in results["status"].items() if not isinstance(status, int) or status >= 500
    )
    print(f"\n{minutes:g} min at {concurrency} clients: {sum(results['status'].values()):,} requests")
    print(f"server errors (5xx or dropped connections): {server_errors}")
    print(f"wrong answers: {dict(results['wrong']) or 0}")
    print(f"status counts: {dict(sorted(results['status'].items(), key=str))}")
    print(f"{'kind':>9} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(results["latency"].items()):
        p99 = statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]
        print(f"{kind:>9} {len(times):>9,} {statistics.median(times) * 1000:>8.0f} {p99 * 1000:>8.0f}")
    growth = (rss_end - rss_start) / rss_start * 100
    print(f"RSS of the service: {rss_start / 2**20:,.0f} MiB after warm-up, {rss_end / 2**20:,.0f} MiB at the end "
          f"({growth:+.1f}%)")  # fmt: skip
    if settled:
        print(f"RSS growth over the second half of the run: {(rss_end - settled) / settled * 100:+.1f}%")
    for name, size in parts_end.items():
        print(f"  {name}: {parts_start.get(name, 0) / 2**20:,.0f} -> {size / 2**20:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--url", help="A running service (default: start one on an empty store).")
    parser.add_argument("--pid", type=int, help="PID of `bentoml serve` of --url, for its RSS.")
    parser.add_argument("--api-key", help="Bearer key, if the service has SIKAP_API_KEY set.")
    parser.add_argument("--warmup", type=int, default=20, help="/analyze requests before the first RSS reading")
    parser.add_argument("--home", type=Path, help="A model store to serve --model from (copied, not written to).")
    parser.add_argument("--model", help="Tag of the model to serve from --home.")
    args = parser.parse_args()
    print(lscpu_summary(), flush=True)
    headers = {"authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    if args.url and not args.pid:
        parser.error("--url needs --pid (the `bentoml serve` process) to measure RSS")
    if bool(args.home) != bool(args.model):
        parser.error("--home and --model go together")
    home = None if args.url else tempfile.TemporaryDirectory(prefix="sikap-soak-")
    if args.home:
        serving_home = Path(home.name) / "home"
        shutil.copytree(args.home / "models", serving_home / "models", symlinks=True)
        context = running_service(serving_home, SIKAP_MODEL=args.model)
    else:
        context = nullcontext(None) if args.url else running_service(Path(home.name))
    with context as service:
        url, pid = (args.url, args.pid) if service is None else (service.url, service.pid)
        asyncio.run(soak(url, pid, args.minutes, args.concurrency, headers, args.warmup))


if __name__ == "__main__":
    main()
