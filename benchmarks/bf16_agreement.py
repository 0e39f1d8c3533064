"""Does bf16 autocast label the dev split like fp32? One stored transformer, both precisions, same process.

Prints agreement (all fields, sentiment, per target over mentioning sentences), dev macro-F1 each way,
the largest score difference and each pass's wall and CPU seconds. Reads the store only.

    SIKAP_HOME=... python benchmarks/bf16_agreement.py --model sikap:TAG [--limit N]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a stored transformer (sikap:...)")
    parser.add_argument("--limit", type=int, help="first N dev sentences only")
    args = parser.parse_args()
    from sikap.data.labels import load_labels
    from sikap.models.loading import load_stored
    from sikap.models.onnx.validate import compare
    from sikap.models.store import get_model
    from sikap.models.transformer.predict import PRECISION_ENV

    stored = get_model(args.model)
    dev = load_labels().split("dev")[: args.limit]
    records, seconds, cpu_seconds = {}, {}, {}
    for precision in ("fp32", "bf16"):
        os.environ[PRECISION_ENV] = precision
        predictor = load_stored(stored)
        started, cpu_started = time.perf_counter(), time.process_time()
        records[precision] = predictor.predict_labeled(dev)
        seconds[precision] = round(time.perf_counter() - started, 1)
        cpu_seconds[precision] = round(time.process_time() - cpu_started, 1)
    result = compare(dev, records["fp32"], records["bf16"], predictor.target_names)
    result.pop("metrics")
    timing = {"seconds": seconds, "cpu_seconds": cpu_seconds}
    print(json.dumps({"model": args.model, "sentences": len(dev), **timing, **result}, indent=1))


if __name__ == "__main__":
    main()
