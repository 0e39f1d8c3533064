"""Latency and correctness of the service while its model changes under it.

Two scenarios, each with N clients sending one-sentence (and every other client 42-sentence) /classify
requests for the whole run:

  swap    a new embedded default is trained into the store mid-run (`sikap train --baseline`, as from a
          second terminal); reports failed requests, responses that mix models, and the swap time.
  build   `sikap models build` runs at nice 19 beside the service (what `sikap serve` starts on a store
          without an ensemble); reports latency while it runs and when the ensemble is served.

    python benchmarks/hot_swap.py swap  [--clients 8] [--labels DIR] [--settle 5]
    python benchmarks/hot_swap.py build [--clients 8] [--seconds 1500]
    python benchmarks/hot_swap.py attach --url http://localhost:3000 [--clients 8] [--seconds 120]

`attach` measures a service that is already running (e.g. `make serve` on a fresh clone while it builds
the strong model in the background) for --seconds, then reports.

Prints the CPU flags (compare ratios only within one run).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sikap.cpu import cpu_line
from sikap.data.sample import write_sample_labels
from sikap.service.process import running_service

ONE = ["Pasukan Rusia kembali menggempur wilayah timur Ukraina pada Selasa malam, kata pejabat setempat."]
MANY = ONE * 42


class Load:
    """N client threads; records (t, seconds, status, model, models in results, one-sentence?)."""

    def __init__(self, url: str, clients: int):
        self.url, self.records, self.stop = url, [], threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)]

    def _client(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as http:
            while not self.stop.is_set():
                body = {"sentences": MANY if n % 2 else ONE}
                start = time.monotonic()
                try:
                    r = http.post("/classify", json=body)
                    data = r.json() if r.status_code == 200 else {}
                    status = r.status_code
                except httpx.HTTPError as exc:
                    data, status = {}, type(exc).__name__
                self.records.append(
                    (time.time(), time.monotonic() - start, status, data.get("model"),
                     {x["model"] for x in data.get("results", [])}, not n % 2)
                )

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def report(records: list, title: str) -> None:
    one = sorted(r[1] for r in records if r[5] and r[2] == 200)
    failed = [r for r in records if r[2] != 200]
    mixed = [r for r in records if r[2] == 200 and r[4] != {r[3]}]
    models = sorted({r[3] for r in records if r[3]})
    p = statistics.quantiles(one, n=100) if len(one) >= 2 else [float("nan")] * 99
    print(f"\n## {title}")
    print("| requests | failed | mixed models | one-sentence p50 ms | p95 ms | max ms | models served |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {len(records)} | {len(failed)} | {len(mixed)} | {p[49] * 1000:.0f} | {p[94] * 1000:.0f} | "
          f"{(one[-1] if one else float('nan')) * 1000:.0f} | {', '.join(models)} |")


def swap(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="sikap-swap-") as tmp:
        labels = Path(args.labels) if args.labels else write_sample_labels(Path(tmp) / "labels")
        home = Path(tmp) / "home"
        home.mkdir()
        env = {"SIKAP_LABELS": str(labels), "SIKAP_POLL_SECONDS": "1"}
        with running_service(home, **env) as service, Load(service.url, args.clients) as load:
            old = httpx.get(f"{service.url}/metadata").json()["tag"]
            time.sleep(args.settle)
            trained = time.time()
            subprocess.run([sys.executable, "-m", "sikap.cli", "train", "--baseline"], check=True, capture_output=True,
                           env={**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home), **env})
            stored = time.time()
            while not any(r[3] not in (old, None) for r in load.records) and time.time() - stored < 120:
                time.sleep(0.2)
            first_new = min((r[0] for r in load.records if r[3] not in (old, None)), default=float("nan"))
            time.sleep(args.settle)
            swaps = httpx.get(f"{service.url}/metadata").json()["swaps"]  # the service's own record
        report(load.records, f"swap under load ({args.clients} clients)")
        print(f"\ntraining took {stored - trained:.1f} s; first answer from the new model {first_new - stored:.1f} s "
              "after it was stored")
        print(f"served before the training: {old}")
        for swap in swaps:
            print(f"swap recorded by the service: {swap['from']} -> {swap['to']} ({swap['seconds']} s, "
                  f"error: {swap['error']})")


def build(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="sikap-build-") as tmp:
        home = Path(tmp)
        with running_service(home, SIKAP_POLL_SECONDS="5") as service:
            before = httpx.get(f"{service.url}/metadata").json()["tag"]
            started = time.time()
            child = subprocess.Popen([sys.executable, "-m", "sikap.cli", "models", "build"],
                                     preexec_fn=lambda: os.nice(19), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     env={**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home)})
            with Load(service.url, args.clients) as load:
                while child.poll() is None and time.time() - started < args.seconds:
                    time.sleep(5)
                built = time.time()
                while not any(r[3] not in (before, None) for r in load.records) and time.time() - built < 60:
                    time.sleep(0.5)
            child.kill()
            meta = httpx.get(f"{service.url}/metadata").json()
        during = [r for r in load.records if r[0] < built]
        report(during, f"during the background build ({args.clients} clients)")
        print(f"\nbuild exit code {child.returncode}, {(built - started) / 60:.1f} min; served now: {meta['tag']} "
              f"({meta['kind']}); upgrade status: {meta.get('upgrade')}")


def attach(args: argparse.Namespace) -> None:
    meta = httpx.get(f"{args.url}/metadata", timeout=30).json()
    print(f"serving {meta['tag']}; upgrade: {meta.get('upgrade')}")
    with Load(args.url, args.clients) as load:
        time.sleep(args.seconds)
    meta = httpx.get(f"{args.url}/metadata", timeout=30).json()
    report(load.records, f"attached for {args.seconds:.0f} s ({args.clients} clients)")
    print(f"\nnow serving {meta['tag']}; upgrade: {meta.get('upgrade')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["swap", "build", "attach"])
    parser.add_argument("--url", default="http://localhost:3000", help="running service (attach)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--labels", help="labels folder for the swap scenario (default: a small one)")
    parser.add_argument("--seconds", type=float, default=None, help="build: longest wait (1500); attach: load time (120)")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="swap: seconds of load before the training and after the swap"
    )
    args = parser.parse_args()
    args.seconds = args.seconds or (120.0 if args.scenario == "attach" else 1500.0)
    print(cpu_line())
    {"swap": swap, "build": build, "attach": attach}[args.scenario](args)


if __name__ == "__main__":
    main()
