"""Replay (回放): before deploying a new diagram version or region profile, run
a year of cases through it and through the current definition, in memory, and
report what would change — deadlines missed, approval steps, workload per
unit and role, reply classes and satisfaction, cases whose path changes.

Sides: the baseline is the definition on disk with the current region
(`baseline_side`); a candidate is a folder of diagrams, a stored version, a
region folder, or a mix (`candidate_side`). Cases: a generated year
(engine/replay/year.py) or the recorded proposals of a database
(engine/replay/recorded.py). Each case runs on both sides with the same
answers (engine/replay/run.py), on the real engine: the service layer's own
step functions over each side's in-memory database (engine/replay/memory.py),
so a replay takes the path production would. Tasks a side has that the case
has no answer for get invented answers (engine/replay/answers.py). The report
is engine/replay/report.py. Nothing is written to any database on disk (each
case is rolled back in memory); the engine's clock is moved for the run and
put back after.

May import: `engine.services`, `engine.queries` and everything below; nothing
imports it but the entry points.
"""
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.definitions.bundle import build_bundle, file_origins, read_files, region_decisions
from engine.model import clock
from engine.model.errors import DefinitionError
from engine.model.settings import Settings
from engine.replay import parallel
from engine.replay.recorded import RecordedCase, recorded_cases
from engine.replay.report import build_report, format_report
from engine.replay.run import CaseRun, Side
from engine.replay.year import generate_year
from engine.workflow.runtime import Runtime

BASELINE, CANDIDATE = "基线", "候选"
__all__ = ["baseline_side", "candidate_side", "generate_year", "recorded_cases", "replay", "format_report"]


def baseline_side(rt: Runtime) -> Side:
    """The files on disk with the instance's region: the definition new cases would start on."""
    return Side(BASELINE, rt.files_bundle, rt, description=f"流程文件 {Path(rt.settings.processes_dir).name}/")


def candidate_side(settings: Settings, processes_dir: str | Path | None = None, region_dir: str | Path | None = None,
                   version_files: dict | None = None,
                   version_label: str = "") -> Side:
    """A candidate: diagrams from `processes_dir` or a stored version's files (else the files on
    disk), with the region of `region_dir` (else the instance's), whose decisions/ tables replace
    the ones of the same name. Raises DefinitionError listing every problem."""
    region_dir = Path(region_dir or settings.region_dir)
    folder = Path(processes_dir or settings.processes_dir)
    if not folder.is_dir():
        raise DefinitionError([{"file": str(folder), "element": None, "message": "流程文件夹不存在"}])
    if version_files is None and (folder / "stages.json").is_file():
        rt = Runtime(replace(settings, processes_dir=folder, region_dir=region_dir))
        bundle = rt.files_bundle
    else:  # a stored version, or a folder of diagrams only: the instance's stages
        rt = Runtime(replace(settings, region_dir=region_dir))
        if version_files is not None:
            files = {**version_files, **{p.name: p.read_text(encoding="utf-8") for p in region_decisions(region_dir)}}
            origins = None
        else:
            files, origins = read_files(folder, region_dir), file_origins(folder, region_dir)
        bundle = build_bundle(files, set(rt.forms.schemas), origins)
    description = f"已存储的版本 {version_label}".strip() if version_files is not None else f"流程文件 {folder}"
    if region_dir != Path(settings.region_dir):
        description += f"，地区配置 {region_dir}"
    return Side(CANDIDATE, bundle, rt, description=description)


def replay(cases: list, baseline: Side, candidate: Side, versions: dict | None = None, about: dict | None = None,
           progress: Callable[[int, int], object] | None = None, workers: int = 1) -> dict:
    """Run every case on both sides and return the report (engine/replay/report.py).

    `versions` ({hash: files}) holds the versions recorded cases ran on: each
    recorded case is first replayed on its own version at its recorded times
    (engine/replay/recorded.py). `progress(done, total)` is called after each case.
    `workers` > 1 shares the cases out among that many forked processes, from a
    command-line process only (engine/replay/parallel.py); the report is the same.
    """
    previous = clock.current()
    clock.use(clock.MovableClock())
    known = set(baseline.bundle.user_tasks)
    references: dict[str, Side | None] = {baseline.bundle.hash: baseline}

    def run_one(case: Any) -> tuple[dict, dict]:
        if isinstance(case, RecordedCase):
            return _recorded(case, baseline, candidate, references, versions or {})
        return (CaseRun(baseline, case, case.answers(baseline.forms, known), case.horizon).run(),
                CaseRun(candidate, case, case.answers(candidate.forms, known), case.horizon).run())

    results_b, results_c = [], []
    try:
        for n, (b, c) in enumerate(parallel.run_cases(run_one, cases, parallel.usable_workers(workers, len(cases))), 1):
            results_b.append(b)
            results_c.append(c)
            if progress:
                progress(n, len(cases))
    finally:
        clock.use(previous)
    return build_report(cases, results_b, results_c, baseline, candidate, about or {})


def _recorded(case: RecordedCase, baseline: Side, candidate: Side, references: dict[str, Side | None],
              versions: dict) -> tuple[dict, dict]:
    """(baseline result, candidate result) of a recorded case, after learning its handling times."""
    case.source_region = baseline.region
    reference = references.get(case.definition)
    if reference is None and case.definition in versions:
        try:
            bundle = build_bundle(versions[case.definition], set(baseline.forms.schemas))
            reference = references[case.definition] = Side(BASELINE, bundle, baseline.rt)
        except DefinitionError:
            references[case.definition] = None  # an old version that no longer parses: recorded moments are used
    first = None
    if reference is not None:
        answers = case.answers(reference.forms, absolute=True)
        first = CaseRun(reference, case, answers, case.horizon).run()
        case.durations, case.unanswered = answers.durations(), set(answers.unanswered)
    b = first if reference is baseline and first is not None else CaseRun(baseline, case, case.answers(baseline.forms), case.horizon).run()
    c = CaseRun(candidate, case, case.answers(candidate.forms), case.horizon).run()
    return b, c
