"""The API worker's coalescer: concurrent calls share batches, each caller gets its own results in order."""

import asyncio

import pytest

from sikap.service.coalesce import Coalescer


class Model:
    """A fake Classifier call: records each batch, answers ``item * 10`` after a few loop turns."""

    def __init__(self, fail_on: object = None) -> None:
        self.batches: list[list] = []
        self.running = 0
        self.most_running = 0
        self.fail_on = fail_on

    async def __call__(self, items: list) -> list:
        self.batches.append(list(items))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            if self.fail_on in items:
                raise ValueError(f"cannot classify {self.fail_on}")
            return [item * 10 for item in items]
        finally:
            self.running -= 1


def test_concurrent_calls_share_batches_and_get_their_own_results() -> None:
    model = Model()

    async def main() -> list[list]:
        coalescer = Coalescer(model, max_batch=4)
        return await asyncio.gather(*(coalescer([i]) for i in range(10)))

    assert asyncio.run(main()) == [[i * 10] for i in range(10)]
    # the first call goes out alone; the nine that arrive while it runs fill batches of 4, 4 and 1
    assert model.batches == [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]]


def test_a_call_larger_than_a_batch_is_split_and_reassembled_in_order() -> None:
    model = Model()

    async def main() -> list[list]:
        coalescer = Coalescer(model, max_batch=4)
        return await asyncio.gather(coalescer([1]), coalescer(list(range(100, 110))), coalescer([2, 3]))

    assert asyncio.run(main()) == [[10], [i * 10 for i in range(100, 110)], [20, 30]]
    assert model.batches == [[1], [100, 101, 102, 103], [104, 105, 106, 107], [108, 109, 2, 3]]
    assert max(map(len, model.batches)) <= 4


def test_a_partial_batch_waits_for_the_running_one_and_a_full_one_does_not() -> None:
    partial, full = Model(), Model()

    async def main(model: Model, calls: int) -> None:
        coalescer = Coalescer(model, max_batch=4, max_in_flight=2)
        await asyncio.gather(*(coalescer([i]) for i in range(calls)))

    asyncio.run(main(partial, 4))
    assert partial.batches == [[0], [1, 2, 3]] and partial.most_running == 1
    asyncio.run(main(full, 5))
    assert full.batches == [[0], [1, 2, 3, 4]] and full.most_running == 2


@pytest.mark.parametrize("in_flight", [1, 2])
def test_at_most_max_in_flight_batches_run_at_once(in_flight: int) -> None:
    model = Model()

    async def main() -> None:
        coalescer = Coalescer(model, max_batch=2, max_in_flight=in_flight)
        await asyncio.gather(*(coalescer([i]) for i in range(12)))

    asyncio.run(main())
    assert model.most_running == in_flight
    assert sorted(i for batch in model.batches for i in batch) == list(range(12))


def test_a_failed_batch_fails_its_callers_only() -> None:
    model = Model(fail_on=3)

    async def main() -> list:
        coalescer = Coalescer(model, max_batch=2)
        outcomes = await asyncio.gather(*(coalescer([i]) for i in range(6)), return_exceptions=True)
        return [*outcomes, await coalescer([7])]

    outcomes = asyncio.run(main())
    assert model.batches[:3] == [[0], [1, 2], [3, 4]]
    assert outcomes[:3] == [[0], [10], [20]]
    assert all(isinstance(o, ValueError) and "cannot classify 3" in str(o) for o in outcomes[3:5])
    assert outcomes[5:] == [[50], [70]]  # later calls are served as usual


def test_a_wrong_number_of_results_is_an_error() -> None:
    async def short(items: list) -> list:
        return items[:-1]

    async def main() -> None:
        await Coalescer(short, max_batch=8)([1, 2])

    with pytest.raises(RuntimeError, match="1 results for a batch of 2"):
        asyncio.run(main())


def test_a_cancelled_caller_s_queued_items_are_not_sent() -> None:
    model = Model()

    async def main() -> list:
        coalescer = Coalescer(model, max_batch=8)
        first = asyncio.ensure_future(coalescer([1]))
        await asyncio.sleep(0)  # [1] is on its way; the next two calls queue behind it
        dropped = asyncio.ensure_future(coalescer([2, 3]))
        kept = asyncio.ensure_future(coalescer([4]))
        await asyncio.sleep(0)
        dropped.cancel()
        return [await first, await kept, dropped.cancelled()]

    assert asyncio.run(main()) == [[10], [40], True]
    assert model.batches == [[1], [4]]


def test_an_empty_call_sends_nothing() -> None:
    model = Model()
    assert asyncio.run(Coalescer(model, max_batch=4)([])) == []
    assert model.batches == []


def test_batch_and_in_flight_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Coalescer(Model(), max_batch=0)


class SlowModel(Model):
    """A Classifier call that takes ``seconds`` of (event-loop) time."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def __call__(self, items: list) -> list:
        self.batches.append(list(items))
        await asyncio.sleep(self.seconds)
        return [item * 10 for item in items]


async def closed_loop(coalescer: Coalescer, clients: int, rounds: int, think: float) -> None:
    """``clients`` callers, each sending its next one-item call ``think`` seconds after the last answer."""

    async def client(n: int) -> None:
        for r in range(rounds):
            assert await coalescer([n * 100 + r]) == [(n * 100 + r) * 10]
            await asyncio.sleep(think)

    await asyncio.gather(*(client(n) for n in range(clients)))


def test_gathering_merges_the_answered_callers_into_one_batch() -> None:
    """8 closed-loop clients: without gathering they split into alternating batches; with it, one batch of 8."""
    runs = {}
    for gather in (0.0, 0.05):
        model = SlowModel(0.04)
        asyncio.run(closed_loop(Coalescer(model, max_batch=32, max_gather=gather, gather_fraction=1.0), 8, 6, 0.005))
        runs[gather] = [len(b) for b in model.batches]
    assert max(runs[0.0][2:]) < 8  # answered callers come back just after the next partial batch left
    assert runs[0.05][2:] == [8] * (len(runs[0.05]) - 2)  # every later batch holds all eight


def test_gathering_ends_when_the_answered_callers_are_back_or_the_window_closes() -> None:
    async def main(think: float, gather: float) -> float:
        model = SlowModel(0.01)
        coalescer = Coalescer(model, max_batch=32, max_gather=gather, gather_fraction=1.0)
        await asyncio.gather(*(coalescer([i]) for i in range(4)))  # one batch of 4 answered: a window opens
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(think)
        await asyncio.gather(*(coalescer([i]) for i in range(4)))  # as many callers as were answered
        return asyncio.get_running_loop().time() - started

    # All four came back: the batch leaves at once, not after the 5-second window.
    assert asyncio.run(main(0.0, 5.0)) < 1.0


def test_a_one_item_batch_opens_no_window_and_a_window_closes_by_itself() -> None:
    async def main(first: int) -> list[list]:
        model = SlowModel(0.1)
        coalescer = Coalescer(model, max_batch=32, max_gather=0.3, gather_fraction=1.0)
        await coalescer(list(range(first)))  # one batch of ``first`` items answered
        later = asyncio.create_task(coalescer([99]))  # fewer callers come back than were answered
        await asyncio.sleep(0.03)
        await asyncio.gather(later, coalescer([98]))
        return model.batches[1:]

    assert asyncio.run(main(1)) == [[99], [98]]  # no window after a one-item batch: 99 went at once
    assert asyncio.run(main(3)) == [[99, 98]]  # a 0.1 s window (the batch's time) held 99; it ended by itself


def test_the_first_chunk_of_a_long_call_opens_no_window_for_its_own_rest() -> None:
    async def main() -> list[list]:
        model = SlowModel(0.1)
        coalescer = Coalescer(model, max_batch=32, max_gather=0.3, gather_fraction=1.0)
        long = asyncio.create_task(coalescer(list(range(40))))  # 32 now, its last 8 wait for them
        await asyncio.sleep(0.15)  # the 8 left at 0.1 s, not after a window: 99 finds them running
        await asyncio.gather(long, coalescer([99]))
        return [len(b) for b in model.batches]

    assert asyncio.run(main()) == [32, 8, 1]
