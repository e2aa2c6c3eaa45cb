"""The service-task table: what the diagrams' service tasks (spiff:serviceTaskOperator)
and the step's hooks call, by name — SpiffWorkflow's own style of plugging operations
in. Whoever composes a `Runtime` passes a table (`standard()` by default); the step
looks operations up in `rt.service_tasks` and never imports its plug-ins, so the
plug-ins (escalation, the extension process) may import the step without a cycle.

May import: the plug-in modules of this package (and, through them, the step).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.workflow import escalation, extension

if TYPE_CHECKING:
    from engine.workflow.step import Step


@dataclass(frozen=True)
class ServiceTasks:
    """`handlers`: operation name -> handler(step, *arguments) for the diagrams' service
    tasks; `deadline_met(step, kind, unit=, holder=, lead_unit=)`: called when an element
    whose `resolves` property names deadline `kind` is done."""

    handlers: Mapping[str, Callable] = field(default_factory=dict)
    deadline_met: Callable | None = None

    def bound(self, step: Step) -> dict:
        """The operations bound to one step, as the script engine's services."""
        return {name: _bind(handler, step) for name, handler in self.handlers.items()}


def _bind(handler: Callable[..., Any], step: Step) -> Callable[..., Any]:
    return lambda *args, **kwargs: handler(step, *args, **kwargs)


def standard() -> ServiceTasks:
    """The table of this product: escalation's reminders and escalations, the extension
    process's decisions, and closing overdue records when a deadline is met."""
    return ServiceTasks(handlers={**escalation.HANDLERS, **extension.HANDLERS}, deadline_met=escalation.resolve)
