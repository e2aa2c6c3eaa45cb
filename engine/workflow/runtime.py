"""What is parsed once per process: region, forms, diagrams; and how a case's
script engine is built.

A `Runtime` is created by the app factory or the command line and passed to
the service functions; it holds no database session.
"""
import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from engine.definitions import versions
from engine.definitions.budget import Limits
from engine.definitions.bundle import ProcessBundle, TaskMeta, build_bundle, load_bundle
from engine.definitions.sandbox import ConfinedScriptEngine
from engine.model import clock
from engine.model.settings import Settings
from engine.model.tables import Case, Counter, ProcessDefinition, Proposal, Unit
from engine.profile import numbering, sessions
from engine.profile.forms import FormCatalog
from engine.profile.region import Region, load_region
from engine.rules.deadlines import Deadlines
from engine.rules.workcal import WorkCalendar
from engine.workflow import service_tasks as service_task_table, state

NEVER = "9999-12-31T00:00:00+08:00"


class Runtime:
    """The loaded region, forms and process definitions of one instance."""

    def __init__(self, settings: Settings, service_tasks: "service_task_table.ServiceTasks | None" = None) -> None:
        self.settings = settings
        # what the diagrams' service tasks call (engine/workflow/service_tasks.py); the step looks them up here
        self.service_tasks = service_tasks if service_tasks is not None else service_task_table.standard()
        self.states: state.StateStore = state.IN_ROW  # where cases' workflows are kept between steps
        self.region = load_region(settings.region_dir, settings.processes_dir)
        self.forms = FormCatalog(settings.forms_dir, self.region)
        # the definition in processes/ with the region's decision tables: checked at start
        self.files_bundle = load_bundle(settings.processes_dir, set(self.forms.schemas), settings.region_dir)
        self.files_registered = False  # whether the files' version is known to be stored (engine/definitions/versions.py)
        self.current = self.files_bundle  # the latest current version this process has seen
        self._bundles: dict[str, ProcessBundle] = {self.current.hash: self.current}
        stages = json.loads((Path(settings.processes_dir) / "stages.json").read_text(encoding="utf-8"))
        self.stages = [s["code"] for s in stages["stages"]]
        self.stage_labels = {s["code"]: s["label"] for s in stages["stages"]}
        self.limits = Limits(settings.expression_seconds, settings.expression_max_size)
        self.calendar = WorkCalendar.for_region(self.region)
        self.deadlines = Deadlines(self.region, self.calendar)
        clock.use(clock.current())  # SpiffWorkflow's timers read the engine's clock

    def bundle_for(self, definition: ProcessDefinition) -> ProcessBundle:
        """The parsed bundle of a stored definition (parsed once, then cached)."""
        bundle = self._bundles.get(definition.hash)
        if bundle is None:
            bundle = self._bundles[definition.hash] = build_bundle(definition.files, set(self.forms.schemas))
        return bundle

    def remember(self, bundle: ProcessBundle) -> None:
        """Cache a bundle just parsed (a version being deployed)."""
        self._bundles.setdefault(bundle.hash, bundle)

    def bundle_of_case(self, session: Session, case: Case) -> ProcessBundle:
        """The parsed bundle of the definition version a case runs on: its hash is read (a short
        row; nothing when engine.workflow.step.lock_case read it with the case), the stored files
        (hundreds of KB) only when this process has not parsed that version yet."""
        known = getattr(case, "definition_hash", None)
        if known is not None and known[0] == case.definition_id and known[1] in self._bundles:
            return self._bundles[known[1]]
        return self.bundle_for(session.get_one(ProcessDefinition, case.definition_id,
                                               options=[defer(ProcessDefinition.files)]))

    def current_definition(self, session: Session) -> ProcessDefinition:
        """The stored definition new cases start on (the latest deployment)."""
        row = versions.current_definition(session, self)
        self.current = self.bundle_for(row)
        return row

    def task_meta(self, bundle: ProcessBundle, task: SpiffTask) -> TaskMeta | None:
        """The user-task metadata of a Spiff task, or None for engine tasks."""
        return bundle.user_tasks.get(task.task_spec.bpmn_id)

    def script_engine(self, session: Session, services: dict | None = None,
                      extension_due: Callable[[str, str | None], datetime | None] | None = None,
                      proposal: Proposal | None = None) -> ConfinedScriptEngine:
        """A confined script engine whose helpers read this transaction's data.

        `services` adds service-task operations bound to a case (reminders,
        escalations); `extension_due(kind, unit)` returns an approved extended
        deadline, which `due_date` then uses; `proposal` is the case's proposal, whose
        session a number format with {session} uses. The engine is made for one step:
        the expressions it runs share one time and size budget (`self.limits`).
        """
        region = self.region

        def unit_deputy(unit_id: str) -> str | None:
            unit = session.get(Unit, unit_id)
            return unit.deputy if unit else None

        def unit_name(unit_id: str) -> str:
            unit = session.get(Unit, unit_id)
            return unit.name if unit else unit_id

        def next_proposal_number() -> str:
            year = clock.now().astimezone(clock.CHINA).year
            code = (proposal.session if proposal is not None else None) or sessions.ORDINARY
            name = numbering.counter_name(region.number_format, year, code)
            return numbering.format_number(region.number_format, year, next_count(session, name),
                                           sessions.number_label(region, code))

        return ConfinedScriptEngine(
            functions={"setting": setting_copies(region), "unit_deputy": unit_deputy, "unit_name": unit_name,
                       **rating_functions(region), **deadline_functions(self.deadlines, extension_due)},
            services={"next_proposal_number": next_proposal_number, **(services or {})},
            limits=self.limits, per_step=True,
        )


def next_count(session: Session, name: str) -> int:
    """Counter `name` moved on by one (made at 1 when new), in one statement on the session's
    connection: the row stays locked until the transaction ends (two steps numbering at once
    wait for each other), and nothing the step has pending is flushed for it."""
    statement = _COUNT_UPSERTS["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    return int(session.connection().execute(statement, {"name": name}).scalar_one())


_COUNTERS = cast(Table, Counter.__table__)
# built once (a statement made afresh for every call costs more than running it)
_COUNT_UPSERTS = {
    dialect: insert(_COUNTERS).values(name=bindparam("name"), value=1).on_conflict_do_update(
        index_elements=[_COUNTERS.c.name], set_={"value": _COUNTERS.c.value + 1}).returning(_COUNTERS.c.value)
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


def setting_copies(region: Region) -> Callable[[str], Any]:
    """`setting(name)` for diagrams: a copy, so that a script cannot change the region's profile."""
    return lambda name: copy.deepcopy(region.setting(name))


def rating_functions(region: Region) -> dict:
    """Helpers diagrams use on ratings: worst_satisfaction(codes), the worst on the region's
    scale (the unrated code when none is given); unrated_satisfaction(), that code."""
    return {"worst_satisfaction": region.worst_satisfaction,
            "unrated_satisfaction": lambda: region.unrated["code"]}


def deadline_functions(deadlines: Deadlines,
                       extension_due: Callable[[str, str | None], datetime | None] | None = None) -> dict:
    """Helpers diagrams use in timer and `due` expressions; every date is ISO 8601 with +08:00.

    due_date(rule, start, kind=None, unit=None): the deadline of region rule
    `rule` counted from `start`; with `kind` and `unit`, an approved extension
    for that unit replaces it. remind_date(rule, start): when to remind (the
    deadline itself when the rule sets no reminder; with `kind`, before an
    approved extended deadline). end_of(day): 23:59:59 of
    an ISO date. never(): a time that never comes (a timer that must not fire).
    period(rule): the rule's length in words (10 个工作日), for forms' notes.
    """

    def moment(text: str) -> datetime:
        value = datetime.fromisoformat(str(text))
        return value if value.tzinfo else value.replace(tzinfo=clock.CHINA)  # a plain date is China time

    def due_date(rule: str, start: str, kind: str | None = None, unit: str | None = None) -> str:
        extended = extension_due(kind, unit) if (extension_due and kind) else None
        return deadlines.iso(extended or deadlines.due(rule, moment(start)))

    def remind_date(rule: str, start: str, kind: str | None = None, unit: str | None = None) -> str:
        extended = extension_due(kind, unit) if (extension_due and kind) else None
        if extended is not None:  # remind before the extended deadline, as before the original one
            before = deadlines.rule(rule).get("remind_before")
            if before is not None:
                day = deadlines.calendar.subtract_working_days(extended.astimezone(clock.CHINA).date(), int(before))
                return f"{day.isoformat()}T09:00:00+08:00"
            return deadlines.iso(extended)
        return deadlines.iso(deadlines.remind_at(rule, moment(start)) or deadlines.due(rule, moment(start)))

    def end_of(day: object) -> str:
        return f"{str(day)[:10]}T23:59:59+08:00"

    return {"due_date": due_date, "remind_date": remind_date, "end_of": end_of, "never": lambda: NEVER,
            "period": deadlines.describe}


def detached_script_engine(region: Region, session_code: Callable[[], str | None] | None = None) -> ConfinedScriptEngine:
    """A script engine whose helpers read the region profile, not a database:
    for running diagrams without one (benchmarks, tests, dry runs).
    Proposal numbers count from 1 in memory, per session when the format uses {session};
    `session_code()`, when given, says the session of the proposal being numbered."""
    units = {u["id"]: u for u in region.units}
    counts: dict[str, int] = {}
    year = clock.now().astimezone(clock.CHINA).year

    def next_proposal_number() -> str:
        code = (session_code() if session_code else None) or sessions.ORDINARY
        name = numbering.counter_name(region.number_format, year, code)
        counts[name] = counts.get(name, 0) + 1
        return numbering.format_number(region.number_format, year, counts[name], sessions.number_label(region, code))

    return ConfinedScriptEngine(
        functions={"setting": setting_copies(region),
                   "unit_deputy": lambda unit_id: units.get(unit_id, {}).get("deputy"),
                   "unit_name": lambda unit_id: units.get(unit_id, {}).get("name", unit_id),
                   **rating_functions(region), **deadline_functions(Deadlines(region, WorkCalendar.for_region(region)))},
        services={"next_proposal_number": next_proposal_number},
    )
