"""The fan-out with scripted agents: isolation, timeouts, budget, cancellation and events, without sleeps that
decide the outcome (agents wait on events, the clock only bounds the test)."""

import anyio

from manyeyes.agents.base import AgentReport
from manyeyes.dispatch import Dispatcher
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


def test_token_budget_skips_model_tasks_once_spent():
    done = run(
        Dispatcher(1, 5, 30, run_token_budget=120),
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
