"""Hot swap: the slot follows the store's choice, keeps serving on a failed load, and never mixes models in a batch."""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sikap.models.store import StoredModel
from sikap.service.hot_swap import ModelSlot


@dataclass
class FakePredictor:
    tag: str
    fail_warm_up: bool = False

    def predict(self, texts: list[str]) -> list[dict]:
        if self.fail_warm_up:
            raise RuntimeError("warm-up exploded")
        return [{"text": t, "model": self.tag} for t in texts]


def stored(tag: str) -> StoredModel:
    return StoredModel(tag, "baseline", datetime.now(UTC), Path("/nonexistent"), {})


class Store:
    """What the store would choose now; tags listed in ``broken`` fail to load."""

    def __init__(self, tag: str):
        self.tag, self.broken, self.loads = tag, set(), []

    def choose(self) -> StoredModel:
        return stored(self.tag)

    def load(self, model: StoredModel) -> FakePredictor:
        self.loads.append(model.tag)
        if model.tag in self.broken:
            raise OSError(f"{model.tag}: truncated file")
        return FakePredictor(model.tag, fail_warm_up=model.tag.endswith("cold"))


def slot_for(store: Store, events: list | None = None) -> ModelSlot:
    return ModelSlot(FakePredictor(store.tag), store.choose, store.load, on_swap=(events if events is not None else []).append)


def test_swaps_to_the_model_the_store_now_chooses():
    store, events = Store("sikap-default:1"), []
    slot = slot_for(store, events)
    assert slot.check() is None and store.loads == []  # nothing new: no load at all
    store.tag = "sikap-ensemble:2"
    event = slot.check()
    assert slot.tag == "sikap-ensemble:2"
    assert (event.old, event.new, event.error) == ("sikap-default:1", "sikap-ensemble:2", None)
    assert events == [event]
    assert slot.describe()["swaps"][-1]["to"] == "sikap-ensemble:2"


def test_a_model_that_fails_to_load_or_warm_up_leaves_the_old_one_serving():
    store = Store("sikap-default:1")
    slot = slot_for(store)
    store.tag = "sikap:2"
    store.broken.add("sikap:2")
    event = slot.check()
    assert slot.tag == "sikap-default:1" and "truncated" in event.error
    assert slot.check() is None and store.loads == ["sikap:2"]  # not retried while the store's choice is the same
    store.tag = "sikap:3-cold"
    assert "warm-up exploded" in slot.check().error and slot.tag == "sikap-default:1"
    store.tag = "sikap:4"
    slot.check()
    assert slot.tag == "sikap:4"


def test_an_unreadable_store_keeps_the_model():
    def choose():
        raise OSError("store on a vanished disk")

    slot = ModelSlot(FakePredictor("sikap-default:1"), choose, lambda m: FakePredictor(m.tag))
    assert slot.check() is None and slot.tag == "sikap-default:1"


def test_batches_during_swaps_each_run_on_one_model():
    store = Store("m:0")
    slot = slot_for(store)
    stop, mixed, seen, errors = threading.Event(), [], set(), []

    def client() -> None:
        while not stop.is_set():
            try:
                predictor = slot.predictor  # what a batch does: read the slot once
                tags = {r["model"] for r in predictor.predict(["a", "b", "c"])}
            except Exception as exc:  # pragma: no cover - the assertion below reports it
                errors.append(exc)
                return
            seen.update(tags)
            if len(tags) != 1:
                mixed.append(tags)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for version in range(1, 40):
        store.tag = f"m:{version}"
        slot.check()
        time.sleep(0.002)  # let the clients run between swaps, however busy the machine
    stop.set()
    for t in threads:
        t.join()
    assert errors == [] and mixed == []
    assert slot.tag == "m:39" and len(seen) > 1


def test_watch_polls_in_the_background():
    store = Store("m:0")
    slot = slot_for(store)
    stop = slot.watch(interval=0.01)
    store.tag = "m:1"
    try:
        for _ in range(500):
            if slot.tag == "m:1":
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
    assert slot.tag == "m:1"
