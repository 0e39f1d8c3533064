"""The embedded default's character n-grams: sklearn's per-n-gram counting vs per-word (sikap.models.char_ngrams).

Fits the default's character 2-5-gram TF-IDF on the train split of labels/ with ``TfidfVectorizer`` and with
``CharNgramVectorizer``, checks that both give the same vocabulary and matrix, then counts dev sentences in calls
of 1, 32 and 512 (``CountVectorizer.transform``, the counting of the default's lean inference path) with each,
alternating, the best of ``--rounds``; CPU ms per sentence and the ratio. With ``--build``, it also fits the whole
default (``fit_baseline``, its C grid in this process) once with each vectorizer and compares the CPU seconds.
``lscpu`` is printed first; compare ratios from one run only.

    python benchmarks/char_ngrams.py [--rounds 5] [--sentences 1024] [--build]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CALL_SIZES = (1, 32, 512)


def cpu_seconds(work) -> tuple[float, object]:
    started = time.process_time()
    result = work()
    return time.process_time() - started, result


def same_matrix(a, b) -> bool:
    return (a.indptr == b.indptr).all() and (a.indices == b.indices).all() and (a.data == b.data).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds; the best is printed")
    parser.add_argument("--sentences", type=int, default=1024, help="dev sentences counted per round")
    parser.add_argument("--build", action="store_true", help="also fit the whole default with each vectorizer")
    args = parser.parse_args()

    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    from sikap.data.labels import load_labels
    from sikap.models import baseline
    from sikap.models.char_ngrams import CharNgramVectorizer
    from sikap.text.targets import load_targets

    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout)
    targets = load_targets()
    labels = load_labels(targets=targets)
    train = [s.text for s in labels.split("train")]
    dev = [s.text for s in labels.split("dev")][: args.sentences]
    if not train or not dev:
        sys.exit("labels/ needs sentences in both the train and the dev split")
    chars = dict(baseline.make_features().transformer_list)["chars"].get_params()
    implementations = {"sklearn": TfidfVectorizer, "per word": CharNgramVectorizer}

    def fit(cls):
        vectorizer = cls(**chars)
        return vectorizer, vectorizer.fit_transform(train)

    fitted, fit_cpu = {}, {}
    for name, cls in implementations.items():
        fit_cpu[name], fitted[name] = cpu_seconds(lambda cls=cls: fit(cls))
    (reference, train_sklearn), (fast, train_fast) = fitted["sklearn"], fitted["per word"]
    if list(reference.vocabulary_.items()) != list(fast.vocabulary_.items()) or not same_matrix(train_sklearn, train_fast):
        sys.exit("the two vectorizers disagree on the training features")
    print(f"{len(train)} train sentences, {len(reference.vocabulary_)} features; {len(dev)} dev sentences counted\n")
    print("| step | sklearn | per word | ratio (per word ÷ sklearn) |\n|---|---|---|---|")
    print(f"| fit_transform, CPU s | {fit_cpu['sklearn']:.2f} | {fit_cpu['per word']:.2f} | "
          f"{fit_cpu['per word'] / fit_cpu['sklearn']:.2f} |")  # fmt: skip

    for size in CALL_SIZES:
        calls = [dev[i : i + size] for i in range(0, len(dev), size)]
        best = {name: float("inf") for name in implementations}
        for _ in range(args.rounds):
            for name, vectorizer in (("sklearn", reference), ("per word", fast)):
                spent, counts = cpu_seconds(lambda v=vectorizer, cs=calls: [CountVectorizer.transform(v, c) for c in cs])
                best[name] = min(best[name], spent)
                if name == "sklearn":
                    expected = counts
                elif not all(map(same_matrix, expected, counts)):
                    sys.exit(f"the two vectorizers disagree on dev in calls of {size}")
        per = {name: 1000 * best[name] / len(dev) for name in implementations}
        print(f"| counts in calls of {size}, CPU ms a sentence | {per['sklearn']:.3f} | {per['per word']:.3f} | "
              f"{per['per word'] / per['sklearn']:.2f} |")  # fmt: skip

    if args.build:
        baseline.grid_workers = lambda rows: 1  # the whole build in this process, so its CPU time is all counted
        build = {}
        for name, cls in implementations.items():
            baseline.CharNgramVectorizer = cls
            build[name], _ = cpu_seconds(lambda: baseline.fit_baseline(labels, targets))
        print(f"| the default's fit_baseline, CPU s | {build['sklearn']:.1f} | {build['per word']:.1f} | "
              f"{build['per word'] / build['sklearn']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
