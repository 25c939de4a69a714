"""Social workers as finite capacity: teams, posts, workers, allocation and workforce dynamics."""

from caseflow.workforce.allocation import AllocationPolicy, get_policy, register_policy
from caseflow.workforce.capacity import Workforce, hours_per_working_day
from caseflow.workforce.team import Case, Post, Team
from caseflow.workforce.worker import Worker, WorkItem

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
