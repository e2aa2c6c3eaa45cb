"""What is parsed once per process: region, forms, diagrams; and how a case's
script engine is built.

A `Runtime` is created by the app factory or the command line and passed to
the service functions; it holds no database session.
"""
import itertools
import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from .config import Settings
from .definitions import ProcessBundle, TaskMeta, build_bundle, load_bundle
from .forms import FormCatalog
from .models import Counter, ProcessDefinition, Unit
from .region import Region, load_region
from .sandbox import ConfinedScriptEngine


class Runtime:
    """The loaded region, forms and process definitions of one instance."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.region = load_region(settings.region_dir)
        self.forms = FormCatalog(settings.forms_dir, self.region)
        self.current = load_bundle(settings.processes_dir, set(self.forms.schemas))
        self._bundles: dict[str, ProcessBundle] = {self.current.hash: self.current}
        stages = json.loads((Path(settings.processes_dir) / "stages.json").read_text(encoding="utf-8"))
        self.stages = [s["code"] for s in stages["stages"]]
        self.stage_labels = {s["code"]: s["label"] for s in stages["stages"]}

    def bundle_for(self, definition: ProcessDefinition) -> ProcessBundle:
        """The parsed bundle of a stored definition (parsed once, then cached)."""
        bundle = self._bundles.get(definition.hash)
        if bundle is None:
            bundle = self._bundles[definition.hash] = build_bundle(definition.files, set(self.forms.schemas))
        return bundle

    def current_definition(self, session) -> ProcessDefinition:
        """The stored row of the current definition, inserted on first use."""
        row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.hash == self.current.hash))
        if row is None:
            row = ProcessDefinition(hash=self.current.hash, files=self.current.files,
                                    created_at=datetime.now(timezone.utc))
            session.add(row)
            session.flush()
        return row

    def task_meta(self, bundle: ProcessBundle, task) -> TaskMeta | None:
        """The user-task metadata of a Spiff task, or None for engine tasks."""
        return bundle.user_tasks.get(task.task_spec.bpmn_id)

    def script_engine(self, session) -> ConfinedScriptEngine:
        """A confined script engine whose helpers read this transaction's data."""
        region = self.region

        def unit_deputy(unit_id):
            unit = session.get(Unit, unit_id)
            return unit.deputy if unit else None

        def unit_name(unit_id):
            unit = session.get(Unit, unit_id)
            return unit.name if unit else unit_id

        def next_proposal_number():
            year = datetime.now(timezone.utc).astimezone().year
            name = f"proposal_number:{year}"
            counter = session.get(Counter, name, with_for_update=True)
            if counter is None:
                counter = Counter(name=name, value=0)
                session.add(counter)
            counter.value += 1
            session.flush()
            return region.number_format.format(year=year, seq=counter.value)

        return ConfinedScriptEngine(
            functions={"setting": region.setting, "unit_deputy": unit_deputy, "unit_name": unit_name},
            services={"next_proposal_number": next_proposal_number},
        )


def detached_script_engine(region: Region) -> ConfinedScriptEngine:
    """A script engine whose helpers read the region profile, not a database:
    for running diagrams without one (benchmarks, tests, dry runs).
    Proposal numbers count from 1 in memory."""
    units = {u["id"]: u for u in region.units}
    numbers = itertools.count(1)
    year = datetime.now(timezone.utc).astimezone().year
    return ConfinedScriptEngine(
        functions={"setting": region.setting,
                   "unit_deputy": lambda unit_id: units.get(unit_id, {}).get("deputy"),
                   "unit_name": lambda unit_id: units.get(unit_id, {}).get("name", unit_id)},
        services={"next_proposal_number": lambda: region.number_format.format(year=year, seq=next(numbers))},
    )
