"""The fan-out with scripted agents: isolation, timeouts, budget, cancellation and events, without sleeps that
decide the outcome (agents wait on events, the clock only bounds the test)."""

import anyio

from manyeyes.agents.base import AgentReport
from manyeyes.dispatch import Budget, Dispatcher
from manyeyes.models import Concern
from manyeyes.plan.context import TaskContext
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Task
from manyeyes.plan.slicing import Chunk

DOC = Document(path="a.py", text="x = 1\n", language="python")


def task(index, concern=Concern.security, agent="model", tokens=100):
    return Task(f"t{index}", concern, Chunk(DOC, 1, 1), agent, TaskContext(estimated_tokens=tokens))


class Scripted:
    def __init__(self, behaviour):
        self.behaviour = behaviour

    async def review(self, task):
        return await self.behaviour(task)


def run(dispatcher, tasks, behaviour):
    return anyio.run(dispatcher.run, tasks, lambda t: Scripted(behaviour))


async def ok(task):
    return AgentReport(prompt_tokens=10, completion_tokens=5)


def test_one_failing_agent_does_not_stop_the_others():
    async def flaky(task):
        if task.id == "t2":
            raise RuntimeError("boom")
        return AgentReport(error="model refused: no") if task.id == "t3" else await ok(task)

    done = run(Dispatcher(4, 5, 30), [task(1), task(2), task(3), task(4)], flaky)
    states = {d.task.id: (d.outcome.state, d.outcome.error) for d in done}
    assert states["t1"] == ("done", None) and states["t4"] == ("done", None)
    assert states["t2"] == ("failed", "agent crashed: RuntimeError: boom")
    assert states["t3"] == ("failed", "model refused: no")


def test_limiter_bounds_concurrency():
    running, peak = 0, 0

    async def counting(task):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1
        return AgentReport()

    run(Dispatcher(2, 5, 30), [task(i) for i in range(6)], counting)
    assert peak == 2


def test_task_timeout_fails_that_task_only():
    async def hangs(task):
        if task.id == "t1":
            await anyio.Event().wait()
        return AgentReport()

    done = run(Dispatcher(4, 0.2, 30), [task(1), task(2)], hangs)
    assert [(d.outcome.state, d.outcome.error) for d in done] == [
        ("failed", "timed out after 0.2s"),
        ("done", None),
    ]


def test_run_deadline_cancels_what_is_left():
    async def hangs(task):
        await anyio.Event().wait()

    done = run(Dispatcher(1, 60, 0.2), [task(1), task(2)], hangs)
    assert {d.outcome.state for d in done} == {"cancelled"}
    assert "run deadline" in done[0].outcome.error


def test_a_second_round_shares_the_first_rounds_deadline():
    async def hangs(task):
        await anyio.Event().wait()

    async def main():
        dispatcher = Dispatcher(2, 60, 0.2)
        first = await dispatcher.run([task(1)], lambda t: Scripted(ok))
        in_time = not dispatcher.out_of_time
        await anyio.sleep(0.3)  # the first round's deadline passes before the votes are sent
        second = await dispatcher.run([task(2)], lambda t: Scripted(hangs))  # not another 0.2 s of its own
        return first, second, in_time, dispatcher.out_of_time

    first, second, in_time, late = anyio.run(main)
    assert first[0].outcome.state == "done" and in_time and late
    assert second[0].outcome.state == "cancelled" and "run deadline" in second[0].outcome.error


def test_token_budget_skips_model_tasks_once_spent():
    done = run(
        Dispatcher(1, 5, 30, Budget(tokens=120)),
        [task(1), task(2, tokens=200), task(3, agent="offline")],
        ok,
    )
    assert [d.outcome.state for d in done] == ["done", "skipped", "done"]


def test_cancel_stops_the_whole_run_and_events_tell_every_state():
    events = []
    dispatcher = Dispatcher(4, 60, 60)
    dispatcher.subscribe(lambda o: events.append((o.task_id, o.state)))
    started = anyio.Event()

    async def waits(task):
        started.set()
        await anyio.Event().wait()

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: dispatcher.run([task(1), task(2)], lambda t: Scripted(waits)))
            await started.wait()
            dispatcher.cancel()

    anyio.run(main)
    assert ("t1", "queued") in events and ("t1", "running") in events and ("t1", "cancelled") in events
    assert events[-1][1] == "cancelled"


def test_cancelling_one_task_leaves_the_others_running():
    dispatcher = Dispatcher(1, 60, 60)  # one at a time: t2 is still queued when it is cancelled
    started = anyio.Event()
    release = anyio.Event()

    async def behaviour(task):
        if task.id == "t1":
            started.set()
            await release.wait()
        return AgentReport(prompt_tokens=1)

    results = []

    async def collect():
        results.extend(await dispatcher.run([task(1), task(2), task(3)], lambda t: Scripted(behaviour)))

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            await started.wait()
            assert dispatcher.cancel_task("t2") and not dispatcher.cancel_task("t2")
            assert not dispatcher.cancel_task("t9")
            release.set()

    anyio.run(main)
    done = {c.task.id: c.outcome for c in results}
    assert done["t2"].state == "cancelled" and done["t2"].error == "cancelled by the user"
    assert done["t1"].state == done["t3"].state == "done"
    assert not dispatcher.cancel_task("t1")  # finished


def test_a_broken_subscriber_does_not_break_the_run():
    dispatcher = Dispatcher(2, 5, 30)
    dispatcher.subscribe(lambda o: 1 / 0)
    done = run(dispatcher, [task(1)], ok)
    assert done[0].outcome.state == "done"


def test_stagger_sends_a_chunks_first_agent_alone_and_the_others_after_its_answer():
    events = []

    async def recorded(task):
        events.append(("start", task.id))
        await anyio.sleep(0.05)  # long enough for any task that is not held back to start meanwhile
        events.append(("end", task.id))
        return AgentReport()

    def chunk_tasks(prefix_tokens):
        context = lambda: TaskContext(estimated_tokens=2000, prefix_tokens=prefix_tokens)  # noqa: E731
        return [Task(f"t{i}", concern, Chunk(DOC, 1, 1), "model", context()) for i, concern in enumerate(Concern)]

    run(Dispatcher(8, 5, 30, stagger=True), chunk_tasks(2000), recorded)
    assert events[:2] == [("start", "t0"), ("end", "t0")]  # the leader alone: the provider caches its prefix
    assert {e for e in events[2:5]} == {("start", f"t{i}") for i in (1, 2, 3)}  # then the rest together
    for prefix, stagger in ((2000, False), (300, True)):  # off, or a prefix too short for any provider to cache
        events.clear()
        run(Dispatcher(8, 5, 30, stagger=stagger), chunk_tasks(prefix), recorded)
        assert [kind for kind, _ in events[:4]] == ["start"] * 4


def test_a_dollar_budget_skips_the_tasks_it_cannot_pay_for():
    async def priced(task):
        return AgentReport(prompt_tokens=100, completion_tokens=10, cost_usd=0.004)

    budget = Budget(usd=0.01, cost_of=lambda task: 0.001)  # each prompt is estimated at $0.001, costs $0.004
    done = run(Dispatcher(1, 5, 30, budget), [task(i) for i in range(5)], priced)
    states = [c.outcome.state for c in done]
    assert states == ["done", "done", "done", "skipped", "skipped"]  # $0.012 spent: the fourth no longer fits
    assert done[3].outcome.error == "run cost budget ($0.01) reached, $0.0120 spent"

    # Running at once, each task holds its estimate: five at $0.003 do not all start under $0.01
    async def slow(task):
        await anyio.sleep(0.05)  # every task asks to start before any has spent
        return await priced(task)

    budget = Budget(usd=0.01, cost_of=lambda task: 0.003)
    done = run(Dispatcher(8, 5, 30, budget), [task(i) for i in range(5)], slow)
    assert [c.outcome.state for c in done].count("done") == 3
