"""Database tables (SQLAlchemy 2). The schema is the same on SQLite and PostgreSQL.

Every time column is a UtcDateTime: it stores UTC and always gives back aware UTC
datetimes, on SQLite (which keeps no offset) as on PostgreSQL (timestamptz)."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.model import clock
from engine.model.base import Base, UtcDateTime  # noqa: F401 (re-exported: the base and time type of every table)


class Unit(Base):
    """A unit of the directory: handling units, the committee, the government office."""

    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    deputy: Mapped[str | None] = mapped_column(String(80))


class User(Base):
    """A person who logs in. `roles` is a comma-separated list of role codes."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"))
    roles: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))

    @property
    def role_set(self) -> set[str]:
        """The user's roles as a set."""
        return {r for r in self.roles.split(",") if r}


class ProcessDefinition(Base):
    """One version of the diagrams, stored whole and identified by content hash."""

    __tablename__ = "process_definitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    files: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Deployment(Base):
    """A definition version made current: the latest row is the version new cases start on."""

    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(80))  # None: the files on disk, at start-up
    source: Mapped[str] = mapped_column(String(20))  # files | cli | api | browser
    note: Mapped[str] = mapped_column(Text, default="")


class Proposal(Base):
    """A proposal with the fields people search by; its case is in `cases`."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    suggestions: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(20), default="ordinary")  # plenary | ordinary
    # the committee's year (China year of submission) and its session (届次/会次: a code of the
    # region's `sessions:`, e.g. "6-1" for 六届一次会议; None for the year's 平时提案)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    session: Mapped[str | None] = mapped_column(String(40), index=True)
    proposer: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    supervising_leader: Mapped[str | None] = mapped_column(String(80), index=True)  # 督办领导 of a key proposal
    lead_unit: Mapped[str | None] = mapped_column(String(40), index=True)
    reply_class: Mapped[str | None] = mapped_column(String(20), index=True)
    satisfaction: Mapped[str | None] = mapped_column(String(40), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # 并案: the proposal this one was merged into (set by the review's merge branch)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # the statistics and lists of a year and session (统计分析: WHERE year = … AND session …)
    __table_args__ = (Index("ix_proposals_year_session", "year", "session"),)



class ProposalPerson(Base):
    """Who proposed or co-signed a proposal (for a proposer's own list)."""

    __tablename__ = "proposal_people"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # proposer | cosigner
    __table_args__ = (Index("ix_proposal_people_username", "username"),)


class ProposalUnit(Base):
    """A unit's part in a proposal: lead, assist or returned, with its reply class and rating."""

    __tablename__ = "proposal_units"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    reply_class: Mapped[str | None] = mapped_column(String(20))
    satisfaction: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_proposal_units_unit", "unit_id", "role"),)


class Case(Base):
    """A running workflow of a proposal: its life (`process` "proposal") or a side
    process such as a deadline extension request. `version` guards against stale
    writes; `next_timer_at` is the earliest armed timer, so the worker finds due
    cases with one indexed query."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    process: Mapped[str] = mapped_column(String(40), default="proposal")
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    state: Mapped[dict] = mapped_column(JSON)
    state_format: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_tasks: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    __mapper_args__ = {"version_id_col": version}


class OpenTask(Base):
    """A user task waiting to be done: the task list is one indexed query on this table."""

    __tablename__ = "open_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    name: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(80), index=True)
    stage: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # the lead unit whose handling the task belongs to (None before assignment): a government
    # office review of one lead's reply says whose reply waits there
    lead_unit: Mapped[str | None] = mapped_column(String(40))
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # who of the pool has taken it (engine/services/claims.py)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_open_tasks_role_unit", "role", "unit_id", "created_at"),
                      Index("ix_open_tasks_proposal", "proposal_id"),
                      Index("ix_open_tasks_unit_due", "unit_id", "role", "due_at", "created_at"))


class Event(Base):
    """Append-only log of every step: the proposal's timeline is read from here."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(80))
    actor_name: Mapped[str | None] = mapped_column(String(80))
    unit_id: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    task_name: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict | None] = mapped_column(JSON)
    # ix_events_task: the statistics look up one kind of step of a proposal (its replies, contacts, opinions)
    __table_args__ = (Index("ix_events_proposal", "proposal_id", "id"),
                      Index("ix_events_task", "task_name", "proposal_id", "unit_id"))


class Counter(Base):
    """Named integers: the proposal number sequence of a year (or of a year and session,
    engine/profile/numbering.py), the demo clock's offset
    (engine/tooling/demo_clock.py)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    """A file attached to a proposal (its text, a consultation record, a reply...).

    Only the description is stored here; the bytes are in the upload directory
    at `storage_key` (`<sha256[:2]>/<sha256>`, content-addressed), see
    engine/services/attachments.py. `filename` is the original name, shown to people.
    """

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))  # the open task it was uploaded for
    field: Mapped[str | None] = mapped_column(String(80))  # the form field
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Notification(Base):
    """The outbox: one message to one person on one channel, kept until delivered.

    `status` is pending, sent or failed (gave up after the retries; kept, never
    deleted). In-app messages are delivered on insert and read with `read_at`.
    """

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # inapp | email | sms
    kind: Mapped[str] = mapped_column(String(40))  # task | assigned | reminder | overdue | rate_request | ...
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),
                      Index("ix_notifications_unread", "recipient", "channel", "read_at"))


class OverdueRecord(Base):
    """A deadline missed (acceptance, first contact, opinion, reply, ...), written when the
    overdue timer fires; `resolved_at` when the late step is finally done.

    Who is late is whoever held the step when the deadline passed: a unit (`unit_id`), or,
    for a step no unit does, an office by its role (`holder_role`: gov_office, supervisor,
    committee...) or one person (`holder`: the deputy head in charge, a member). `lead_unit`
    is the lead unit whose handling (and reply) it is."""

    __tablename__ = "overdue_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    unit_id: Mapped[str | None] = mapped_column(String(40), index=True)
    holder_role: Mapped[str | None] = mapped_column(String(40))
    holder: Mapped[str | None] = mapped_column(String(80))
    lead_unit: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # the records still open, by proposal (the search's 超期 filter): a partial index of a few rows
    __table_args__ = (Index("ix_overdue_records_open", "proposal_id", postgresql_where=text("resolved_at IS NULL"),
                            sqlite_where=text("resolved_at IS NULL")),)


class Rating(Base):
    """One rater's rating of one unit's part in a proposal: of the reply (`unit_id` is the
    lead unit `reply_unit`) or of an assisting unit's help, in a handling round."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    reply_unit: Mapped[str | None] = mapped_column(String(40))
    rater: Mapped[str] = mapped_column(String(80))
    satisfaction: Mapped[str] = mapped_column(String(40))
    handling_round: Mapped[int] = mapped_column(Integer, default=1)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    task_id: Mapped[str | None] = mapped_column(String(36))
    # 代录: the committee staff member who entered this rating from the member's signed paper
    # form (None: the rater gave it online), and the attachment holding the signed scan
    entered_by: Mapped[str | None] = mapped_column(String(80))
    evidence_id: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (Index("ix_ratings_unit", "unit_id", "satisfaction"),)


class SupervisionSample(Base):
    """A reproducible random draw of assigned proposals for joint supervision."""

    __tablename__ = "supervision_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
    drawn_by: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200))
    rate_percent: Mapped[float] = mapped_column(Float)
    seed: Mapped[str] = mapped_column(String(80))
    population: Mapped[list] = mapped_column(JSON)  # proposal ids, sorted
    selected: Mapped[list] = mapped_column(JSON)  # proposal ids drawn


class DeadlineExtension(Base):
    """A unit's request to extend a deadline, decided by the committee and the
    government office in its own small process (processes/extension.bpmn)."""

    __tablename__ = "deadline_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))  # reply
    reason: Mapped[str] = mapped_column(Text)
    requested_due: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | refused
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Incident(Base):
    """A case found stalled (异常案件): not completed, yet with no open task and no armed
    timer, so nothing would ever move it on. Written by the step that left it so
    (engine/workflow/incidents.py), listed for the committee, and resolved (`resolved_at`,
    `resolution`) when a later step, such as `cppcc repair-cases`, moves it on."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    last_step: Mapped[str] = mapped_column(String(200))  # the title of the step that left it so
    last_actor: Mapped[str | None] = mapped_column(String(80))  # who did it (None: the engine, a timer)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(String(300))


def describe_attachment(row: "Attachment") -> dict:
    """An attachment as the API and the pages show it (no storage key, no hash)."""
    return {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size,
            "uploaded_by": row.uploaded_by, "uploaded_at": clock.utc_iso(row.uploaded_at),
            "task_id": row.task_id, "field": row.field, "url": f"/api/attachments/{row.id}"}


# tables in modules of their own (same Base), re-exported here: the plenary's, disclosure's and
# assessment's; the logins'
from engine.model.tables_login import LoginFailure, LoginSession  # noqa: E402,F401
from engine.model.tables_public import AssessmentAdjustment, AssessmentSnapshot, ProposalSimilarity, Publication  # noqa: E402,F401
