"""Social workers as finite capacity: teams, posts, workers, allocation and workforce dynamics.

:class:`Workforce` (:mod:`~caseflow.model.workforce.capacity`) is the facade the simulation builds;
the parts behind it are :mod:`~caseflow.model.workforce.staffing`,
:mod:`~caseflow.model.workforce.caseholding`, :mod:`~caseflow.model.workforce.work`,
:mod:`~caseflow.model.workforce.schedule`, :mod:`~caseflow.model.workforce.changes` and
:mod:`~caseflow.model.workforce.measures` (docs/workforce.md §9).
"""

from caseflow.model.workforce.allocation import AllocationPolicy, get_policy, register_policy
from caseflow.model.workforce.capacity import Workforce, hours_per_working_day
from caseflow.model.workforce.schedule import SCHEDULE, Recurring
from caseflow.model.workforce.team import Case, Post, Team
from caseflow.model.workforce.work import WORK, Floor, TaskWork
from caseflow.model.workforce.worker import Contract, Worker, WorkItem

__all__ = [
    "SCHEDULE",
    "WORK",
    "AllocationPolicy",
    "Case",
    "Contract",
    "Floor",
    "Post",
    "Recurring",
    "TaskWork",
    "Team",
    "WorkItem",
    "Worker",
    "Workforce",
    "get_policy",
    "hours_per_working_day",
    "register_policy",
]
