"""Sweeping uploaded files no attachment refers to (engine/services/upload_sweep.py): what a
refused batch left is removed once older than the grace period, and nothing an attachment
names, nothing recent, nothing that is not a stored upload. On a fake unit of work and a
temporary upload folder (the query is one column IN a list)."""
import hashlib
import io
import os
import time
from datetime import timedelta

import pytest
from fake_uow import FakeUnitOfWork
from rows import proposal, user

from engine.model.errors import InvalidForm
from engine.model.tables import Attachment
from engine.services import attachments
from engine.services.upload_sweep import ASIDE, sweep_uploads

COMMITTEE = user("tw_li", "committee")
KEPT, LEFT = b"%PDF-1.4 kept reply", b"%PDF-1.4 left by a refused batch"


def stored(settings, content: bytes):
    digest = hashlib.sha256(content).hexdigest()
    return settings.upload_dir / digest[:2] / digest


def age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.fixture
def uploads(settings):
    """One committed attachment (KEPT) and the file of a refused batch (LEFT), both two days old."""
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    attachments.upload_attachments(uow, settings, COMMITTEE, 1, [("答复函.pdf", io.BytesIO(KEPT), None)])
    with pytest.raises(InvalidForm):  # its own unit of work, never committed (the fake keeps no rollback)
        attachments.upload_attachments(FakeUnitOfWork(COMMITTEE, proposal()), settings, COMMITTEE, 1, [("附件.pdf", io.BytesIO(LEFT), None),
                                                                      ("脚本.exe", io.BytesIO(b"MZ"), None)])
    assert stored(settings, LEFT).exists()  # what the sweep is for
    for content in (KEPT, LEFT):
        age(stored(settings, content), 48)
    return uow


def test_the_file_of_a_refused_batch_is_removed_and_the_attachment_kept(settings, uploads):
    result = sweep_uploads(uploads.session, settings)
    assert not stored(settings, LEFT).exists() and stored(settings, KEPT).read_bytes() == KEPT
    digest = hashlib.sha256(LEFT).hexdigest()
    assert result.removed == [f"{digest[:2]}/{digest}"] and result.removed_bytes == len(LEFT) and result.kept == 1
    assert not list(settings.upload_dir.rglob(f"*{ASIDE}"))


def test_a_dry_run_lists_and_removes_nothing(settings, uploads):
    result = sweep_uploads(uploads.session, settings, dry_run=True)
    assert len(result.removed) == 1 and stored(settings, LEFT).exists()


def test_a_file_younger_than_the_grace_period_is_kept(settings, uploads):
    age(stored(settings, LEFT), 1)  # as an upload in flight, placed moments before its commit
    assert sweep_uploads(uploads.session, settings).removed == []
    assert sweep_uploads(uploads.session, settings, grace=timedelta(minutes=30)).removed != []


def test_an_old_temporary_file_goes_and_other_files_stay(settings, uploads):
    temp = settings.upload_dir / ".upload-abc.part"
    temp.write_bytes(b"cut off")
    fresh = settings.upload_dir / ".upload-def.part"
    fresh.write_bytes(b"in flight")
    other = settings.upload_dir / "ab" / "notes.txt"  # not a stored upload's name
    other.parent.mkdir(exist_ok=True)
    other.write_text("x")
    for path in (temp, other):
        age(path, 48)
    result = sweep_uploads(uploads.session, settings)
    assert not temp.exists() and fresh.exists() and other.exists()
    assert ".upload-abc.part" in result.removed


def test_a_file_left_aside_by_a_sweep_that_stopped_is_put_back_then_judged(settings, uploads):
    kept = stored(settings, KEPT)
    os.replace(kept, kept.with_name(kept.name + ASIDE))  # a sweep stopped between rename and check
    sweep_uploads(uploads.session, settings)
    assert kept.read_bytes() == KEPT and not list(settings.upload_dir.rglob(f"*{ASIDE}"))


def test_a_missing_upload_folder_is_nothing_to_sweep(settings):
    assert sweep_uploads(FakeUnitOfWork(COMMITTEE).session, settings).removed == []


def test_a_file_an_upload_claims_while_it_is_checked_is_put_back(settings, uploads):
    """The second question (after the rename) finds a row committed meanwhile by an upload of
    the same content: the file goes back where it was."""
    session, asked = uploads.session, []
    first_answer = session.scalars

    def scalars(statement):
        asked.append(statement)
        if len(asked) == 2:  # an upload of LEFT commits its row between the two questions
            digest = hashlib.sha256(LEFT).hexdigest()
            session.add(Attachment(proposal_id=1, filename="附件.pdf", content_type="application/pdf", size=len(LEFT),
                                   sha256=digest, storage_key=f"{digest[:2]}/{digest}", uploaded_by="tw_li"))
        return first_answer(statement)

    session.scalars = scalars
    result = sweep_uploads(session, settings)
    assert len(asked) == 2 and result.removed == [] and result.put_back == 1
    assert stored(settings, LEFT).read_bytes() == LEFT and not list(settings.upload_dir.rglob(f"*{ASIDE}"))


def test_file_ages_are_the_operating_systems_whatever_clock_the_engine_uses(settings, uploads):
    """Under a clock moved years ahead (the demo's, a test's) a file placed just now is still new."""
    from datetime import UTC, datetime

    from engine.model import clock
    age(stored(settings, LEFT), 0)
    previous = clock.current()
    clock.use(clock.MovableClock(datetime(2040, 1, 1, tzinfo=UTC)))
    try:
        assert sweep_uploads(uploads.session, settings).removed == []
    finally:
        clock.use(previous)
    assert stored(settings, LEFT).exists()
