"""Fine-tuning: fixed stages, each a small function; resumable from the last epoch checkpoint.

Stages: seed → device → base model → datasets → class weights → optimizer and schedule →
epochs (early stopping on dev macro-F1, checkpoint after each) → best weights → evaluate
on dev and test → save ``sikap:<version>`` in the store. The store is written only at the
very end, so an interrupted or failed run leaves the served model untouched.
"""

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from torch import nn
from tqdm.auto import tqdm

from sikap.data.labels import REALISTIC, LabeledSentence, LabelSet, label_contexts, label_mentions, labels_hash
from sikap.errors import SikapError
from sikap.evaluation.metrics import evaluate_predictions, headline, write_report
from sikap.models.transformer.averaging import TailAverage
from sikap.models.transformer.base_model import BaseChoice, choose_base_model, load_tokenizer_and_encoder
from sikap.models.transformer.config import TrainConfig
from sikap.models.transformer.encoding import collate, encode
from sikap.models.transformer.model import StanceModel
from sikap.models.transformer.predict import TransformerPredictor, inference_precision
from sikap.paths import REPO_ROOT, sikap_home
from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.text.targets import MentionDetector, Target

IGNORE = -100
STATE_FILE = "trainer_state.json"


@dataclass
class TrainerState:
    epoch: int = 0
    global_step: int = 0
    best_score: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)


def run_directory(config: TrainConfig) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(config.base_model).name or config.base_model)
    return Path(config.run_dir) if config.run_dir else sikap_home() / "runs" / slug


def select_device(config: TrainConfig) -> tuple[torch.device, torch.dtype | None]:
    """CPU by default; CUDA (bf16 where supported, else fp16) or MPS when present and asked for or ``auto``."""
    name = config.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SikapError("device 'cuda' requested but no CUDA GPU is available; use --device cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise SikapError("device 'mps' requested but MPS is not available; use --device cpu")
    precision = config.precision
    if precision == "auto":
        precision = ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if name == "cuda" else "fp32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]
    if dtype is not None and name != "cuda":
        raise SikapError(f"precision {precision} needs a CUDA device; use --precision fp32")
    return torch.device(name), dtype


def seed_everything(seed: int) -> None:
    from transformers import set_seed

    set_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def build_dataset(
    rows: list[LabeledSentence],
    tokenizer,
    detector: MentionDetector,
    names: list[str],
    max_length: int,
    context: str = "none",
    context_length: int = 0,
):
    """A ``datasets.Dataset`` with token ids, mention masks and label ids (``-100`` where a target is ``none``);
    with a ``context`` mode each sentence is paired with its article context."""
    from datasets import Dataset

    found = label_mentions(rows, detector)  # anaphors resolved through each article
    contexts = label_contexts(rows, context)
    dataset = Dataset.from_dict(
        {
            "row": list(range(len(rows))),
            "text": [s.text for s in rows],
            "sentiment": [SENTIMENTS.index(s.sentiment) for s in rows],
            "stance": [
                [MENTIONED_STANCES.index(s.stance[n]) if s.stance[n] != "none" else IGNORE for n in names] for s in rows
            ],
        }
    )

    def tokenize(batch: dict) -> dict:
        mentions = [found[i] for i in batch["row"]]
        paired = [contexts[i] for i in batch["row"]] if contexts is not None else None
        return encode(tokenizer, batch["text"], mentions, names, max_length, paired, context_length)

    return dataset.map(tokenize, batched=True, remove_columns=["row", "text"], desc="tokenizing")


class LengthGroupedBatches:
    """Random batches of similar length: shuffle, sort windows of 50 batches by length, cut, shuffle the batches.

    Dynamic padding then pads each batch to nearly its mean length instead of the longest
    sentence of a random batch, which saves a third or more of the encoder work per epoch.
    """

    WINDOW = 50

    def __init__(self, lengths: list[int], batch_size: int, generator: torch.Generator):
        self.lengths, self.batch_size, self.generator = lengths, batch_size, generator

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        window = self.batch_size * self.WINDOW
        batches = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=self.lengths.__getitem__)
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        for i in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[i]


def clamp_lengths(config: TrainConfig, model_max: int, console: Console) -> None:
    """Fit ``max_length`` (+ ``context_length`` when the model reads context) into the base model's positions."""
    context = config.context_length if config.context != "none" else 0
    if config.max_length + context <= model_max:
        return
    if context:
        config.context_length = min(context, model_max // 2)
        context = config.context_length
    config.max_length = min(config.max_length, model_max - context)
    console.log(
        f"[yellow]the input is longer than the base model's {model_max} positions; clamped to "
        f"max_length {config.max_length}" + (f" + context_length {context}" if context else "") + "[/]"
    )


def class_weights(labels: np.ndarray, classes: int) -> torch.Tensor:
    """Balanced weights ``n / (classes * count)``; classes absent from training get weight 1."""
    labels = labels[labels != IGNORE]
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weights = np.where(counts > 0, len(labels) / (classes * np.maximum(counts, 1)), 1.0)
    return torch.tensor(weights, dtype=torch.float32)


def freeze(model: StanceModel, config: TrainConfig) -> set[str]:
    """Fix the word embeddings and/or the lowest encoder layers; returns the frozen parameter names.

    Frozen weights get no gradient and no AdamW state (for e5-small the 96 M-weight embedding
    matrix would otherwise cost 1.2 GB of gradient and optimizer memory and a slow update per step).
    """
    if config.freeze_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    if config.freeze_layers:
        layers = getattr(getattr(model.encoder, "encoder", None), "layer", None)
        if layers is None or config.freeze_layers > len(layers):
            count = len(layers) if layers is not None else 0
            raise SikapError(f"freeze_layers {config.freeze_layers} but the base model has {count} encoder layers")
        for layer in layers[: config.freeze_layers]:
            layer.requires_grad_(False)
    return {name for name, param in model.named_parameters() if not param.requires_grad}


def trainable_state(model: StanceModel, frozen: set[str]) -> dict[str, torch.Tensor]:
    """A CPU copy of the weights training changes (frozen ones are reloaded from the base model)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items() if k not in frozen}


def make_optimizer(model: StanceModel, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW: encoder at ``learning_rate``, fresh heads at ``head_learning_rate``; no decay on biases and norms."""
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        is_head = not name.startswith("encoder.")
        no_decay = name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name
        groups.setdefault((is_head, no_decay), []).append(param)
    return torch.optim.AdamW(
        [
            {
                "params": params,
                "lr": config.head_learning_rate if is_head else config.learning_rate,
                "weight_decay": 0.0 if no_decay else config.weight_decay,
            }
            for (is_head, no_decay), params in groups.items()
        ]
    )


def _save_checkpoint(
    directory: Path, model, frozen: set[str], optimizer, scheduler, state: TrainerState, config: TrainConfig
) -> None:
    """Write ``last/`` atomically: a crash mid-write leaves the previous checkpoint."""
    tmp = directory / "last.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(
        {
            "model": trainable_state(model, frozen),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        tmp / "checkpoint.pt",
    )
    (tmp / STATE_FILE).write_text(json.dumps({"state": state.__dict__, "config": config.to_dict()}, indent=2))
    last = directory / "last"
    old = directory / "last.old"
    shutil.rmtree(old, ignore_errors=True)
    if last.exists():
        last.rename(old)
    tmp.rename(last)
    shutil.rmtree(old, ignore_errors=True)


def _git_commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def evaluate_model(
    model: StanceModel,
    tokenizer,
    targets: list[Target],
    rows: list[LabeledSentence],
    max_length: int,
    device: torch.device,
) -> dict:
    """Metrics of ``model`` on ``rows``, computed in the precision it will be served in on this CPU (bf16 where
    the CPU multiplies bf16 natively, about twice as fast; else fp32)."""
    precision = inference_precision() if device.type == "cpu" else "fp32"
    predictor = TransformerPredictor(
        "evaluation", targets, model, tokenizer, max_length=max_length, device=str(device), precision=precision
    )
    metrics = evaluate_predictions(rows, predictor.predict_labeled(rows), [t.name for t in targets])
    model.train()
    return metrics


def selection_score(metrics: dict) -> float:
    """Early-stopping score: mean of the per-target stance macro-F1s and the sentiment macro-F1."""
    scores = [m["macro_f1"] for m in metrics["targets"].values()] + [metrics["sentiment"]["macro_f1"]]
    return float(np.mean(scores))


def choose_average(
    model: StanceModel,
    average: TailAverage,
    best_state: dict | None,
    state: TrainerState,
    dev_rows: list[LabeledSentence],
    tokenizer,
    targets: list[Target],
    config: TrainConfig,
) -> tuple[dict | None, dict]:
    """Score the averaged weights on dev; they replace ``best_state`` when they score higher than every epoch.
    Returns the weights to keep and a record for the metadata."""
    device = next(model.parameters()).device
    model.load_state_dict(average.state(), strict=False)
    score = selection_score(evaluate_model(model, tokenizer, targets, dev_rows, config.max_length, device))
    chosen = score > state.best_score
    record = {
        "steps": average.count,
        "dev_score": round(score, 4),
        "best_epoch_score": round(state.best_score, 4),
        "chosen": chosen,
    }
    if chosen:
        state.best_score = score
        return average.state(), record
    return best_state, record


def train_transformer(
    config: TrainConfig,
    labels: LabelSet,
    targets: list[Target],
    targets_path: Path,
    resume: bool = False,
    console: Console | None = None,
    base: BaseChoice | None = None,
) -> str:
    """Fine-tune ``config.base_model`` on ``labels`` and save it as ``sikap:<version>``; returns the tag.

    ``base`` is the already chosen base model; without it the choice is made here
    (``config.base_model``, else IndoBERT, else the prepared e5-small).
    """
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup

    console = console or Console(stderr=True)
    names = [t.name for t in targets]
    base = base or choose_base_model(config.base_model)
    config.base_model = base.source
    run_dir = run_directory(config)
    state = TrainerState()
    checkpoint = None
    if resume:
        if not (run_dir / "last" / STATE_FILE).exists():
            raise SikapError(f"nothing to resume: no checkpoint in {run_dir / 'last'}; start without --resume")
        saved = json.loads((run_dir / "last" / STATE_FILE).read_text())
        state = TrainerState(**saved["state"])
        config = TrainConfig(**{**saved["config"], "epochs": max(config.epochs, saved["config"]["epochs"])})
        checkpoint = torch.load(run_dir / "last" / "checkpoint.pt", map_location="cpu", weights_only=False)
        console.log(f"resuming {run_dir} after epoch {state.epoch} (best dev score {state.best_score:.3f})")

    # Seed, device and base model
    seed_everything(config.seed)
    device, amp_dtype = select_device(config)
    console.log(f"base model: {base.name} ({base.reason})", highlight=False)
    tokenizer, encoder = load_tokenizer_and_encoder(config.base_model)
    clamp_lengths(config, getattr(tokenizer, "model_max_length", 512) or 512, console)
    context_length = config.context_length if config.context != "none" else 0
    model = StanceModel(encoder, names, config.pooling, config.dropout, config.context, context_length).to(device)
    frozen = freeze(model, config)

    # Data: tokenized once, padded per batch
    detector = MentionDetector(targets)
    train_rows, dev_rows, test_rows = labels.split("train"), labels.split("dev"), labels.split("test")
    if config.limit:
        train_rows, dev_rows, test_rows = (rows[: config.limit] for rows in (train_rows, dev_rows, test_rows))
    if not train_rows or not dev_rows:
        raise SikapError("training needs sentences in both the train and the dev split of labels/")
    train_set = build_dataset(train_rows, tokenizer, detector, names, config.max_length, config.context, context_length)
    generator = torch.Generator().manual_seed(config.seed + state.epoch)
    features = train_set.to_list()
    loader = DataLoader(
        features,
        batch_sampler=LengthGroupedBatches([len(f["input_ids"]) for f in features], config.batch_size, generator),
        collate_fn=lambda f: collate(f, tokenizer.pad_token_id),
    )

    # Class-weighted losses
    sentiment_loss = nn.CrossEntropyLoss(weight=class_weights(np.array(train_set["sentiment"]), 3).to(device))
    stance_labels = np.array(train_set["stance"])
    stance_losses = [
        nn.CrossEntropyLoss(weight=class_weights(stance_labels[:, i], 3).to(device), ignore_index=IGNORE)
        for i in range(len(names))
    ]

    optimizer = make_optimizer(model, config)
    steps_per_epoch = max(1, len(loader) // config.gradient_accumulation)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(config.warmup_ratio * steps_per_epoch * config.epochs), steps_per_epoch * config.epochs
    )
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    total_steps = steps_per_epoch * config.epochs
    average = TailAverage(model, int(total_steps * (1 - config.average_last)) + 1) if config.average_last else None
    best_state = None
    if checkpoint:
        model.load_state_dict(checkpoint["model"], strict=False)
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        if (run_dir / "best.pt").exists():
            best_state = torch.load(run_dir / "best.pt", map_location="cpu")

    started = time.perf_counter()
    epoch_seconds = []
    model.train()
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if state.bad_epochs >= config.patience:
            console.log(f"early stopping: no dev improvement for {state.bad_epochs} epochs")
            break
        if config.time_budget_minutes and epoch_seconds:
            projected = time.perf_counter() - started + float(np.mean(epoch_seconds))
            if projected > 60 * config.time_budget_minutes:
                console.log(
                    f"time budget: another epoch would end after {projected / 60:.1f} min "
                    f"(budget {config.time_budget_minutes:g} min); stopping after epoch {epoch - 1}"
                )
                break
        epoch_start = time.perf_counter()
        bar = tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", unit="batch", dynamic_ncols=True)
        running = 0.0
        for step, batch in enumerate(bar, 1):
            batch = {k: v.to(device) for k, v in batch.items()}
            sentiment_gold, stance_gold = batch.pop("sentiment"), batch.pop("stance")
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                sentiment_logits, stance_logits = model(**batch)
                loss = sentiment_loss(sentiment_logits.float(), sentiment_gold)
                for i, criterion in enumerate(stance_losses):
                    if (stance_gold[:, i] != IGNORE).any():
                        loss = loss + criterion(stance_logits[:, i].float(), stance_gold[:, i]) / len(names)
            scaler.scale(loss / config.gradient_accumulation).backward()
            if step % config.gradient_accumulation == 0 or step == len(loader):
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                state.global_step += 1
                if average is not None:
                    average.update(state.global_step)
            running += loss.item()
            bar.set_postfix(loss=f"{running / step:.4f}")
        bar.close()
        epoch_seconds.append(time.perf_counter() - epoch_start)

        dev_metrics = evaluate_model(model, tokenizer, targets, dev_rows, config.max_length, device)
        score = selection_score(dev_metrics)
        state.epoch = epoch
        state.history.append(
            {
                "epoch": epoch,
                "loss": round(running / max(len(loader), 1), 4),
                "dev_score": round(score, 4),
                "seconds": round(epoch_seconds[-1], 1),
                **headline(dev_metrics),
            }
        )
        if score > state.best_score:
            state.best_score, state.best_epoch, state.bad_epochs = score, epoch, 0
            best_state = trainable_state(model, frozen)
            run_dir.mkdir(parents=True, exist_ok=True)
            torch.save(best_state, run_dir / "best.pt.tmp")
            (run_dir / "best.pt.tmp").replace(run_dir / "best.pt")
        else:
            state.bad_epochs += 1
        _save_checkpoint(run_dir, model, frozen, optimizer, scheduler, state, config)
        console.log(
            f"epoch {epoch}: loss {state.history[-1]['loss']}, dev score {score:.4f} "
            f"(best {state.best_score:.4f} at epoch {state.best_epoch}), {epoch_seconds[-1]:.1f} s"
        )

    averaged = None
    if average is not None and average.count:
        best_state, averaged = choose_average(model, average, best_state, state, dev_rows, tokenizer, targets, config)
        console.log(
            f"weights averaged over the last {averaged['steps']} steps: dev score {averaged['dev_score']:.4f} "
            f"({'kept' if averaged['chosen'] else 'not kept'}; best single epoch {averaged['best_epoch_score']:.4f})"
        )

    # Best weights → evaluation → store
    if best_state is not None:
        model.load_state_dict(best_state, strict=False)
    model.eval()
    metrics = {
        split: evaluate_model(model, tokenizer, targets, rows, config.max_length, device)
        for split, rows in (("dev", dev_rows), ("test", test_rows), (REALISTIC, labels.split(REALISTIC)))
        if rows
    }
    model.to("cpu")
    data_hash = labels_hash()
    metadata = {
        "kind": "transformer",
        "base_model": base.name,
        "base": base.metadata(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels_hash": data_hash,
        "git_commit": _git_commit(),
        "config": config.to_dict(),
        "device": str(device),
        "train_size": len(train_rows),
        "best_epoch": state.best_epoch,
        "weight_average": averaged,
        "history": state.history,
        "seconds_per_epoch": round(float(np.mean(epoch_seconds)), 1) if epoch_seconds else None,
        "train_seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "metrics": {split: headline(m) for split, m in metrics.items()},
    }

    def write(directory: Path) -> None:
        model.save(directory, tokenizer)
        shutil.copy(targets_path, directory / "targets.yaml")
        for split, m in metrics.items():
            write_report(m, directory / "reports" / split, f"{base.name} fine-tuned — {split} split")

    from sikap.models.store import TRANSFORMER_NAME, new_version, save_model

    tag = save_model(TRANSFORMER_NAME, "transformer", new_version(data_hash), metadata, write)
    console.log(f"saved {tag}: dev {metadata['metrics'].get('dev')}, test {metadata['metrics'].get('test')}")
    return tag
