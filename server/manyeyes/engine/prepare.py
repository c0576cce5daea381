"""Getting model tasks ready to send, and the dry run that shows what would be sent without sending it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import anyio
import anyio.to_thread

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.grounding import ground_all
from manyeyes.agents.messages import quoted_sources, render_messages
from manyeyes.config import Settings
from manyeyes.llm.keys import check_keys, check_prices
from manyeyes.llm.loader import load_litellm
from manyeyes.models import ReviewRequest
from manyeyes.plan.context import estimate_tokens
from manyeyes.plan.planner import Plan, Task, plan_review
from manyeyes.safety.redact import warm as warm_redaction


def prepare_model_tasks(plan: Plan, settings: Settings, check_keys_too: bool = True) -> None:
    """The slow, blocking preparation of model calls, for a worker thread: importing litellm (seconds), checking
    that every model has its key (unless the caller brought its own client) and, under a dollar budget, a price,
    and scanning every source a prompt will quote for secrets."""
    load_litellm()
    models = {t.agent for t in plan.tasks if not t.offline} | settings.all_models()  # the voters and the verifier too
    if check_keys_too:
        check_keys(settings, models)
    if settings.max_cost_usd:
        check_prices(settings, models)
    warm_redaction(list({source for t in plan.tasks if not t.offline for source in quoted_sources(t)}))


@dataclass
class DryRunTask:
    task: Task
    messages: list[dict]
    estimated_tokens: int


async def dry_run(request: ReviewRequest, settings: Settings) -> tuple[Plan, list[DryRunTask]]:
    """What a review would send, after redaction, with token estimates; nothing is sent. The plan returned has its
    tasks grounded, as the agents would have seen them."""
    planned_review = await anyio.to_thread.run_sync(plan_review, request, settings)
    async with OfflinePanel(planned_review.documents, planned_review.tests) as panel:
        plan = replace(planned_review, tasks=await ground_all(planned_review.tasks, panel))
    sources = [source for t in plan.tasks if not t.offline for source in quoted_sources(t)]
    await anyio.to_thread.run_sync(warm_redaction, sources)
    planned = []
    for task in plan.tasks:
        if task.offline or task.stood_down:
            continue
        messages = render_messages(task)
        planned.append(DryRunTask(task, messages, sum(estimate_tokens(m["content"]) for m in messages)))
    return plan, planned
