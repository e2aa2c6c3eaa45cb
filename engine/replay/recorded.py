"""Recorded cases for replay: every proposal of a database, read (never
written) with its submission, its completed tasks in order and, for a case
still running, the tasks open at the time of reading.

A recorded answer goes to the ready task of the same name (for the same unit
when both name one; the same person preferred, and never another person's own
answer when that person has an instance of the task too). When each recorded
answer is given: the case is first replayed on the version it ran on, each
answer at its recorded moment, to learn when each task was ready; on the
versions compared each answer then keeps its handling time (recorded moment
minus that ready time).

A missing answer means the step did not happen in reality, so nothing is
invented for it: in that first replay a ready task without a recorded answer
waits (what the record says happened instead, e.g. the co-signing deadline
closing the co-signing, then happens by itself), and on the versions compared
the same task (name, unit or person, and how many times it was ready) waits
too. A running case stops where its history stops: a task it has open in
reality waits, and nothing happens after the moment of reading (its horizon).
Only a task the case never reached in reality (a step a candidate adds, or a
loop a candidate's rule makes longer) gets an invented answer.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Case, Event, OpenTask, ProcessDefinition, Proposal
from engine.profile.forms import FormCatalog
from engine.profile.region import Region
from engine.replay.answers import Answer, TaskView


@dataclass
class Recorded:
    """One completed task of the log."""

    index: int
    task: str
    data: dict
    actor: str | None
    unit: str | None
    at: datetime


@dataclass
class RecordedCase:
    """One proposal of the database as replay input."""

    id: str
    proposal_id: int
    title: str
    submitted_at: datetime
    proposer: str
    data: dict  # the submission form data
    events: list
    running: bool
    open_now: list  # [(task name, unit, assignee)] open at the time of reading
    horizon: datetime | None  # a running case: the time of reading
    definition: str  # hash of the version the case runs on
    durations: dict = field(default_factory=dict)  # event index -> handling time, learnt by the reference run
    unanswered: set = field(default_factory=set)  # (task, unit or person, n-th time) ready but not done in reality
    source_region: Region | None = None  # the region the answers were given in (their codes are mapped from it)

    def submission(self, region: Region) -> dict:
        """The recorded submission data (its category is mapped to another region when fitting)."""
        return dict(self.data)

    def answers(self, forms: FormCatalog, known: set | None = None, absolute: bool = False) -> "RecordedAnswers":
        """A fresh source of this case's answers for one run: at recorded moments (`absolute`) or durations."""
        return RecordedAnswers(self, absolute)

    def as_dict(self) -> dict:
        """JSON-ready form (without the answers)."""
        return {"id": self.id, "proposal_id": self.proposal_id, "title": self.title,
                "submitted_at": self.submitted_at.isoformat(), "running": self.running,
                "answers": len(self.events), "version": self.definition}


def recorded_cases(session: Session, now: datetime | None = None) -> tuple[list[RecordedCase], dict]:
    """Every proposal's case (oldest first) and {version hash: files} of the versions they run on."""
    now = now or clock.now()
    versions: dict = {}
    cases: list = []
    rows = session.execute(select(Case, Proposal).join(Proposal, Proposal.id == Case.proposal_id)
                           .where(Case.process == "proposal").order_by(Proposal.id))
    for case, proposal in rows:
        definition = session.get_one(ProcessDefinition, case.definition_id)
        versions.setdefault(definition.hash, definition.files)
        submitted, events = None, list[Recorded]()
        for event in session.scalars(select(Event).where(Event.proposal_id == proposal.id,
                                                         Event.kind.in_(("submitted", "task_completed")))
                                     .order_by(Event.id)):
            if event.kind == "submitted":
                submitted = submitted or dict(event.data or {})
            elif event.task_name:
                events.append(Recorded(len(events), event.task_name, dict(event.data or {}), event.actor,
                                       event.unit_id, event.at))
        data = submitted or {"title": proposal.title, "category": proposal.category, "body": proposal.body,
                             "suggestions": proposal.suggestions or "", "source": proposal.source, "cosigners": []}
        open_now = [(t.name, t.unit_id, t.assignee)
                    for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))]
        cases.append(RecordedCase(id=proposal.number or f"P{proposal.id}", proposal_id=proposal.id,
                                  title=proposal.title, submitted_at=proposal.submitted_at,
                                  proposer=proposal.proposer, data=data, events=events, running=not case.completed,
                                  open_now=open_now, horizon=None if case.completed else now,
                                  definition=definition.hash))
    return cases, versions


class RecordedAnswers:
    """Answers of one recorded case in one run, each used once."""

    def __init__(self, case: RecordedCase, absolute: bool) -> None:
        self.case, self.absolute = case, absolute
        self.used: set = set()
        self.ready: dict = {}  # event index -> when its task was ready in this run
        self.assignees: dict = {}  # task name -> the people with an instance of it in this run
        self.unanswered: set = set()  # what was ready in this run but not done in reality

    def expect(self, view: TaskView) -> None:
        """A task is ready for `view.assignee`: their recorded answers are theirs, not another's."""
        if view.assignee:
            self.assignees.setdefault(view.name, set()).add(view.assignee)

    def take(self, view: TaskView) -> Answer | None:
        """The first unused recorded answer of the task's name (same unit; same person preferred;
        never the answer of another person who has the task too), or None."""
        found = None
        for event in self.case.events:
            if event.index in self.used or event.task != view.name:
                continue
            if view.unit and event.unit and view.unit != event.unit:
                continue
            if view.assignee is None or event.actor == view.assignee:
                found = event
                break
            if event.actor not in self.assignees.get(view.name, ()):
                found = found or event
        if found is None:
            return None
        self.used.add(found.index)
        self.ready[found.index] = view.ready_at
        duration = None if self.absolute else self.case.durations.get(found.index)
        return Answer(build=lambda at: found.data, duration=duration, at=None if duration is not None else found.at,
                      actor=found.actor, ref=found.index)

    def waits(self, view: TaskView) -> bool:
        """Whether a task without a recorded answer waits instead of getting an invented one: in
        the replay on the case's own version, always (the step did not happen in reality); on
        another version, when that replay left the same task waiting, or the running case has
        it open in reality."""
        key = (view.name, view.who, view.occurrence)
        if self.absolute:
            self.unanswered.add(key)
            return True
        if key in self.case.unanswered:
            return True
        return self.case.running and any(
            name == view.name and (unit is None or view.unit is None or unit == view.unit)
            for name, unit, _ in self.case.open_now)

    def durations(self) -> dict:
        """{event index: recorded moment minus ready time} for the answers given in this run."""
        by_index = {e.index: e for e in self.case.events}
        return {i: max(by_index[i].at - ready, timedelta(0)) for i, ready in self.ready.items()}
