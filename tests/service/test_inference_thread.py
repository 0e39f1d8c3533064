"""All model passes of the Classifier run on one thread, the hot swap's warm-up included."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sikap.service.hot_swap import ModelSlot
from sikap.service.inference_thread import InferenceThread


def test_calls_from_many_threads_all_run_on_its_one_thread() -> None:
    infer = InferenceThread()
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda n: infer(lambda x: (threading.get_ident(), x * 2), n), range(40)))
    assert [x for _, x in seen] == [n * 2 for n in range(40)]
    assert {ident for ident, _ in seen} == {infer.ident} and infer.ident != threading.get_ident()
    infer.close()


def test_errors_reach_the_caller_and_nested_calls_do_not_wait_on_themselves() -> None:
    infer = InferenceThread()

    def fail() -> None:
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        infer(fail)
    assert infer(lambda: infer(lambda: threading.get_ident())) == infer.ident
    assert infer(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]  # keyword arguments pass through


def test_the_hot_swap_warms_the_new_model_up_through_run() -> None:
    from test_hot_swap import FakePredictor, Store

    infer, threads = InferenceThread(), []

    class Recorded(FakePredictor):
        def predict(self, texts: list[str]) -> list[dict]:
            threads.append(threading.get_ident())
            return super().predict(texts)

    store = Store("sikap-default:1")
    slot = ModelSlot(Recorded("sikap-default:1"), store.choose, lambda m: Recorded(m.tag), run=infer)
    store.tag = "sikap-ensemble:2"
    event = slot.check()
    assert event is not None and event.error is None and slot.tag == "sikap-ensemble:2"
    assert threads == [infer.ident]  # the warm-up pass ran on the inference thread, not the watcher's
