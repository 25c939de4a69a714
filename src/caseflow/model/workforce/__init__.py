"""Social workers as finite capacity: teams, posts, workers, allocation and workforce dynamics."""

from caseflow.model.workforce.allocation import AllocationPolicy, get_policy, register_policy
from caseflow.model.workforce.capacity import Workforce, hours_per_working_day
from caseflow.model.workforce.team import Case, Post, Team
from caseflow.model.workforce.worker import Worker, WorkItem

__all__ = [
    "AllocationPolicy",
    "Case",
    "Post",
    "Team",
    "WorkItem",
    "Worker",
    "Workforce",
    "get_policy",
    "hours_per_working_day",
    "register_policy",
]
