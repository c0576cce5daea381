"""The domain: every piece of data that flows between planner, agents, synthesizer and front ends: a finding
(findings.py), a review's request and result (review.py), and the domain's words (vocabulary.py).

Plain pydantic models, no behaviour beyond small derived values, so any stage can be tested on its own and the
result of a review serialises to JSON as it is.
"""

from manyeyes.models.findings import Consensus, Finding, Fix, Source, Span
from manyeyes.models.review import (
    AfterAgents,
    AgentOutcome,
    BaselineReport,
    ConsensusReport,
    Dismissal,
    DocumentSource,
    Escalation,
    FixCheckReport,
    InstructionUse,
    NotReviewed,
    Rejection,
    ReviewRequest,
    ReviewResult,
    VerificationReport,
)
from manyeyes.vocabulary import ALL_CONCERNS, Concern, ReviewKind, Severity

__all__ = [
    "ALL_CONCERNS",
    "AfterAgents",
    "AgentOutcome",
    "BaselineReport",
    "Concern",
    "Consensus",
    "ConsensusReport",
    "Dismissal",
    "DocumentSource",
    "Escalation",
    "Finding",
    "Fix",
    "FixCheckReport",
    "InstructionUse",
    "NotReviewed",
    "Rejection",
    "ReviewKind",
    "ReviewRequest",
    "ReviewResult",
    "Severity",
    "Source",
    "Span",
    "VerificationReport",
]
