"""Queue a Celery task by its registered name, so that no module below `tasks.py` imports it.

`tracker.apps` imports `tracker.tasks` when Django starts, so every process (web, worker, command)
has the tasks registered; the task found here is the same object `tracker.tasks` defines.
"""

from celery import current_app
from celery.app.task import Task


def task_named(name: str) -> Task:
    """The registered task called `name` (for example "tracker.send_update_notices")."""
    return current_app.tasks[name]
