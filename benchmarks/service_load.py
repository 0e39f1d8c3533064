"""Load test of the HTTP service: /classify requests (one sentence each by default) from separate client processes.

Starts ``bentoml serve serving.service:Sikap`` on a free local port with a store holding the
model to test (by default an IndoBERT-base-shaped model with random weights exported to
ONNX int8, as in benchmarks/throughput.py), waits for /readyz, then for each concurrency
level runs closed-loop clients (each sends its next request when the previous one returns)
for ``--seconds`` and prints requests/s, sentences/s, latency percentiles and errors. It
also measures the offline throughput of the same model in a fresh process, for the ratio
"served sentences/s at the highest concurrency ÷ offline": once with all sentences in one ``predict`` call
(the model batches them itself, sorted by length), and once in calls of 32 in arrival order, as the service's
batches reach the model (the ceiling a service without any overhead would reach). Clients and server share the
machine's cores, as they would on a single box. Only localhost traffic; everything stops
by itself (the service is killed at the end, also on errors). ``lscpu`` is printed first;
compare ratios measured in one run only.

    python benchmarks/service_load.py [--seconds 20] [--concurrency 1,8,32] [--per-request 1] [--precision int8]
                                      [--home DIR [--model TAG]] [--quick] [--warmup 3]
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

from sikap.cpu import lscpu_summary  # noqa: E402  (needs the repo on sys.path)
from sikap.service.process import running_service  # noqa: E402  (needs the repo on sys.path)

CLIENT_PROCESSES = 2  # at most; each runs an asyncio loop with its share of the concurrent clients
SERVICE_SOURCE = REPO / "serving" / "service.py"  # read, not imported: importing it starts BentoML


def service_constants() -> dict[str, str]:
    """The module-level constants of serving/service.py, as written."""
    return dict(re.findall(r"^([A-Z_]+) = (\S+)", SERVICE_SOURCE.read_text(), re.MULTILINE))


SERVED_BATCH = int(service_constants()["BATCH_SIZE"])  # the Classifier's max_batch_size


# ---------------------------------------------------------------- client process


async def client_loop(url: str, texts: list[str], workers: int, seconds: float, seed: int, size: int = 1) -> dict:
    """``workers`` closed-loop clients on one aiohttp session (cheaper per request than httpx), ``size``
    sentences a request."""
    import aiohttp

    rng = random.Random(seed)
    results: list[tuple[float, float, bool]] = []  # (start offset, latency, ok)
    errors: list[str] = []
    cpu = time.process_time()
    begin = time.perf_counter()
    deadline = begin + seconds

    async def one(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            sentences = rng.sample(texts, size)
            start = time.perf_counter()
            try:
                async with session.post("/classify", json={"sentences": sentences}) as response:
                    body = await response.read()
                    ok = response.status == 200 and len(json.loads(body)["results"]) == size
                    if not ok and len(errors) < 5:
                        errors.append(f"HTTP {response.status}: {body[:200].decode(errors='replace')}")
            except (TimeoutError, aiohttp.ClientError, ValueError, KeyError) as exc:
                ok = False
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")
            results.append((start - begin, time.perf_counter() - start, ok))

    connector = aiohttp.TCPConnector(limit=workers)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(one(session) for _ in range(workers)))
    done = [(s, lat) for s, lat, ok in results if ok and s + lat <= seconds]
    return {
        "completed_in_window": len(done),
        "latencies": [lat for _, lat, ok in results if ok],
        "errors": sum(not ok for _, _, ok in results),
        "error_samples": errors,
        "cpu_seconds": time.process_time() - cpu,
    }


def run_client(args: list[str]) -> None:
    url, seconds, workers, seed, data, size = args
    texts = json.loads(Path(data).read_text())
    print(json.dumps(asyncio.run(client_loop(url, texts, int(workers), float(seconds), int(seed), int(size)))))


# ---------------------------------------------------------------- service


def service_cpu(pid: int) -> dict[str, float]:
    """CPU seconds used so far by the service's processes: the Classifier worker, the API worker, the rest."""
    import psutil

    used = {"classifier": 0.0, "api": 0.0, "other": 0.0}
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            command, times = " ".join(process.cmdline()), process.cpu_times()
        except psutil.Error:
            continue
        role = (
            "classifier"
            if "--service-name Classifier" in command
            else "api"
            if "--service-name" in command
            else "other"
        )
        used[role] += times.user + times.system
    return used


def batch_counters(url: str) -> tuple[float, float]:
    """(sentences, batches) the Classifier has run so far, from the Prometheus metrics: Sikap's own
    ``sikap_batch_size`` histogram, else BentoML's adaptive batching one."""
    import httpx

    text = httpx.get(f"{url}/metrics", timeout=30).text
    for metric in ("sikap_batch_size", "bentoml_service_adaptive_batch_size"):
        total = {"sum": 0.0, "count": 0.0}
        for kind in total:
            for match in re.finditer(rf"^{metric}_{kind}{{[^}}]*}} ([\d.e+]+)$", text, re.M):
                total[kind] += float(match.group(1))
        if total["count"]:
            break
    return total["sum"], total["count"]


def drive(url: str, concurrency: int, seconds: float, data: Path, size: int = 1) -> dict:
    """``concurrency`` closed-loop clients spread over up to CLIENT_PROCESSES processes for ``seconds``,
    ``size`` sentences a request."""
    processes = min(concurrency, CLIENT_PROCESSES)
    shares = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--client", url, str(seconds), str(share), str(i), str(data), str(size)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i, share in enumerate(shares)
    ]
    outputs = []
    for child in children:
        try:
            out, _ = child.communicate(timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            child.kill()
            out, _ = child.communicate()
        outputs.append(json.loads(out.strip().splitlines()[-1]) if out.strip() else None)
    wall = time.perf_counter() - started
    lost = sum(o is None for o in outputs)
    outputs = [o for o in outputs if o]
    latencies = sorted(lat for o in outputs for lat in o["latencies"])
    completed = sum(o["completed_in_window"] for o in outputs)

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "rps": completed / seconds,
        "sentences": completed * size / seconds,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": 1000 * statistics.fmean(latencies) if latencies else float("nan"),
        "errors": sum(o["errors"] for o in outputs) + lost,
        "client_cpu": sum(o["cpu_seconds"] for o in outputs),
        "error_samples": [e for o in outputs for e in o["error_samples"]][:5],
        "wall": wall,
    }


# ---------------------------------------------------------------- main


def prepare_model(home: Path, precision: str, quick: bool, max_length: int, console) -> tuple[str, Path]:
    """Build the random base-shaped model into ``home`` and return (tag, base directory)."""
    from throughput import store_transformer

    from sikap.data.labels import load_labels
    from sikap.models.transformer.random_model import build_random_bert

    base = build_random_bert(
        home / "base", [s.text for s in load_labels().sentences], "tiny" if quick else "indobert-base-p1", 4000
    )
    tag = store_transformer(base, max_length)
    if precision != "torch":
        from sikap.models.onnx.export import export_onnx

        # Random heads: the dev-set gate is meaningless here, so it is switched off.
        tag = export_onnx(tag, precision, min_agreement=0, max_f1_drop=1000, console=console)
    return tag, base


def batching_settings() -> str:
    """The batching, worker and thread settings as written in serving/service.py."""
    found = re.findall(r"\b(max_batch_size|max_latency_ms|workers|threads)=([\w.]+)", SERVICE_SOURCE.read_text())
    constants = service_constants()
    settings = dict.fromkeys(f"{k}={constants.get(v, v)}" for k, v in found)  # both APIs: each setting once
    from sikap.service.telemetry import REQUEST_LOG_ENV, request_log_enabled

    settings[f"request log {'on' if request_log_enabled() else 'off'} ({REQUEST_LOG_ENV})"] = None
    return ", ".join(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per concurrency level (default 20)")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--per-request", type=int, default=1, help="sentences a request (default 1)")
    parser.add_argument("--precision", default="int8", choices=["int8", "fp32", "torch"])
    parser.add_argument(
        "--home", type=Path, help="store to use: built there unless --model is given, else copied (not written to)"
    )
    parser.add_argument("--model", help="tag of the model to serve from --home")
    parser.add_argument("--offline-sentences", type=int, default=1000)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny model, 3 s per level")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up at 1 and at 8 clients")
    parser.add_argument("--log", type=Path, help="keep the service log here")
    parser.add_argument("--client", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        run_client(args.client)
        return
    print(lscpu_summary(), flush=True)
    if args.quick:
        args.seconds, args.offline_sentences = min(args.seconds, 3.0), min(args.offline_sentences, 200)
    if args.model and not args.home:
        parser.error("--model needs --home (the store that holds it)")
    levels = [int(c) for c in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory(prefix="sikap-load-") as tmp:
        tmp = Path(tmp)
        home = args.home.resolve() if args.home else tmp / "home"
        if args.model:  # serve a copy: the service and the offline run write logs and caches into their store
            shutil.copytree(home / "models", tmp / "home" / "models", symlinks=True)
            home = tmp / "home"
        os.environ["SIKAP_HOME"] = str(home)  # before anything imports bentoml
        from rich.console import Console
        from throughput import cpu_info, measure, sentences

        console = Console(stderr=True)
        if args.model:  # any stored kind: default, transformer, ONNX export or ensemble
            from sikap.models.store import get_model

            stored = get_model(args.model)
            tag, base = stored.tag, Path(stored.metadata.get("base_model", ""))
            backend = {"transformer": "torch", "onnx": "onnx"}.get(stored.kind, "default")
        else:
            tag, base = prepare_model(home, args.precision, args.quick, args.max_length, console)
            backend = "torch" if tag.startswith("sikap:") else "onnx"
        console.log(f"model: {tag}")
        texts = sentences(max(args.offline_sentences, 2000))
        data = tmp / "sentences.json"
        data.write_text(json.dumps(texts))
        offline_data = tmp / "offline.json"
        offline_data.write_text(json.dumps(texts[: args.offline_sentences]))

        offline_spec = {
            "backend": backend,
            "tag": tag,
            "home": str(home),
            "base": str(base),
            "max_length": None if args.model else args.max_length,  # a stored model keeps its own
            "batch_size": 32,
            "threads": cpu_info()["cores"],
            "sentences": str(offline_data),
        }
        offline = measure(offline_spec, tmp)
        offline_rate = offline["sentences"] / offline["seconds"]
        console.log(f"offline: {offline_rate:.1f} sentences/s")
        # The same sentences in served-size calls: what the model alone reaches on batches as the service forms them.
        in_calls = measure({**offline_spec, "call_size": SERVED_BATCH}, tmp)
        in_calls_rate = in_calls["sentences"] / in_calls["seconds"]
        console.log(f"offline in calls of {SERVED_BATCH}: {in_calls_rate:.1f} sentences/s")

        rows = []
        with running_service(home, tmp / "serve.log", timeout=600, SIKAP_MODEL=tag) as service:
            url, pid = service.url, service.pid
            console.log(f"serving at {url}; warming up")
            drive(url, 1, args.warmup, data, args.per_request)
            drive(url, 8, args.warmup, data, args.per_request)
            for level in levels:
                load, before, cpu_before = os.getloadavg()[0], batch_counters(url), service_cpu(pid)
                row = drive(url, level, args.seconds, data, args.per_request)
                after, cpu_after = batch_counters(url), service_cpu(pid)
                row["cores"] = {k: (cpu_after[k] - cpu_before[k]) / row["wall"] for k in cpu_after}
                row["cores"]["clients"] = row["client_cpu"] / args.seconds
                used = sum(cpu_after[k] - cpu_before[k] for k in cpu_after) + row["client_cpu"]
                row["cpu_ms"] = 1000 * used / max(row["sentences"] * args.seconds, 1)
                row["load"] = (load, os.getloadavg()[0])
                row["batch"] = (after[0] - before[0]) / max(after[1] - before[1], 1)
                rows.append(row)
                console.log(
                    f"concurrency {level}: {row['rps']:.1f} req/s, {row['sentences']:.1f} sentences/s, "
                    f"p95 {row['p95']:.0f} ms, {row['errors']} errors"
                )
            sample = __import__("httpx").get(f"{url}/metadata").json()
        log = (tmp / "serve.log").read_text(errors="replace").splitlines()
        if args.log:
            args.log.write_text("\n".join(log))
        problems = [line for line in log if "Error" in line or "Exception" in line or "Traceback" in line]

    cpu = cpu_info()
    print(f"CPU: {cpu['model']}, {cpu['cores']} physical cores, {cpu['ghz']} GHz; clients share these cores")
    print(f"model: {tag} (kind {sample['kind']}{', ' + sample['precision'] if 'precision' in sample else ''})")
    print(f"service settings (serving/service.py): {batching_settings()}")
    print(
        f"{args.seconds:g} s per level, POST /classify with {args.per_request} sentence(s) each, closed loop, "
        f"up to {CLIENT_PROCESSES} client processes"
    )
    print()
    print(
        "| clients | requests | requests/s | sentences/s | p50 ms | p95 ms | p99 ms | errors | mean batch | "
        "CPU cores: classifier / API / clients | CPU ms a sentence | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['concurrency']} | {r['requests']} | {r['rps']:.1f} | {r['sentences']:.1f} | {r['p50']:.0f} | "
            f"{r['p95']:.0f} | {r['p99']:.0f} | {r['errors']} | {r['batch']:.1f} | "
            f"{r['cores']['classifier']:.2f} / {r['cores']['api']:.2f} / {r['cores']['clients']:.2f} | "
            f"{r['cpu_ms']:.1f} | {r['load'][0]:.1f}→{r['load'][1]:.1f} |"
        )
    top = max(rows, key=lambda r: r["concurrency"])
    print()
    print(
        f"offline ({backend}, batch 32, {offline['sentences']} sentences): {offline_rate:.1f} sentences/s; "
        f"served at {top['concurrency']} clients ÷ offline = {top['sentences'] / offline_rate:.0%}"
    )
    print(
        f"offline in calls of {SERVED_BATCH} sentences in arrival order (as served batches reach the model): "
        f"{in_calls_rate:.1f} sentences/s; served at {top['concurrency']} clients ÷ that = "
        f"{top['sentences'] / in_calls_rate:.0%}"
    )
    if offline.get("cpu_seconds"):
        offline_cpu = 1000 * offline["cpu_seconds"] / offline["sentences"]
        print(
            f"CPU a sentence (all processes: service, clients): offline {offline_cpu:.1f} ms, served at "
            f"{top['concurrency']} clients {top['cpu_ms']:.1f} ms; offline ÷ served = {offline_cpu / top['cpu_ms']:.0%} "
            "(on shared cores this ratio is steadier than the throughput ratio)"
        )
    for r in rows:
        for sample_error in r["error_samples"]:
            print(f"error at {r['concurrency']} clients: {sample_error}")
    if problems:
        print(f"\nservice log: {len(problems)} error line(s), the last ones:")
        print("\n".join(problems[-8:]))


if __name__ == "__main__":
    main()
