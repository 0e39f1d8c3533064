"""A model trained while the service runs is swapped in under load: no request fails, none mixes models."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from sikap.data.sample import write_sample_labels
from sikap.service.process import running_service

SENTENCES = [
    "Pasukan Rusia kembali menggempur wilayah timur Ukraina.",
    "Sekjen NATO dijadwalkan berkunjung ke Ankara pekan depan.",
    "Jerman mengumumkan paket bantuan pertahanan udara baru untuk Kyiv.",
]


def test_swap_under_load(tmp_path: Path) -> None:
    labels = write_sample_labels(tmp_path / "labels")
    home = tmp_path / "home"
    home.mkdir()
    env = {"SIKAP_LABELS": str(labels), "SIKAP_POLL_SECONDS": "0.5"}
    with running_service(home, **env) as service:
        old = httpx.get(f"{service.url}/metadata", timeout=30).json()["tag"]
        responses: list[tuple[int, str | None, set[str]]] = []
        stop = threading.Event()

        def client(n: int) -> None:
            with httpx.Client(base_url=service.url, timeout=60) as http:
                while not stop.is_set():
                    body = {"sentences": SENTENCES * (14 if n % 2 else 1)}  # 42 sentences: two batches
                    r = http.post("/classify", json=body)
                    ok = r.status_code == 200
                    data = r.json() if ok else {}
                    responses.append((r.status_code, data.get("model"), {x["model"] for x in data.get("results", [])}))

        clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in clients:
            thread.start()
        try:
            # `sikap train --baseline` in a second terminal, against the same store
            subprocess.run(
                [sys.executable, "-m", "sikap.cli", "train", "--baseline"],
                env={**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home), **env},
                check=True,
                capture_output=True,
                timeout=300,
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(m not in (old, None) for _, m, _ in responses):
                time.sleep(0.2)
            time.sleep(2)  # more requests on the new model
        finally:
            stop.set()
            for thread in clients:
                thread.join()
        meta = httpx.get(f"{service.url}/metadata", timeout=30).json()

    new = meta["tag"]
    assert new != old and new.startswith("sikap-default:")
    assert meta["swaps"][-1]["from"] == old and meta["swaps"][-1]["to"] == new
    assert [status for status, _, _ in responses if status != 200] == []
    assert all(results == {model} for _, model, results in responses), "a response mixed two models"
    served = {model for _, model, _ in responses}
    assert served == {old, new}
