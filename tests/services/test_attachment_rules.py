"""What an upload must be (engine/services/attachments.py): its name, type, size and content,
all or none of a batch, the stored file named by its content; and which attachment ids a form
may name. On a fake unit of work (tests/services/fake_uow.py) and a temporary upload folder:
the database adds nothing to these rules. The uploader is the committee, who may attach to
any proposal (who else may: tests/api/test_attachments.py, on a database)."""
import hashlib
import io
from dataclasses import replace

import pytest
from fake_uow import FakeUnitOfWork
from rows import TASK_ID, open_task, proposal, user

from engine.model.errors import InvalidForm, NotFound
from engine.model.tables import Attachment
from engine.services import attachments

PDF = b"%PDF-1.4 reply letter"
COMMITTEE = user("tw_li", "committee")


def upload(uow, settings, *files, proposal_id=1, **options):
    return attachments.upload_attachments(uow, settings, COMMITTEE, proposal_id,
                                          [(name, None if body is None else io.BytesIO(body), None)
                                           for name, body in files], **options)


def refusal(settings, *files, **options) -> str:
    """The message of a refused upload, which left no row (nothing committed) and, for a
    single file, no file (a batch's files placed before the refused one stay on disk until swept: test_upload_sweep.py)."""
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    with pytest.raises(InvalidForm) as raised:
        upload(uow, settings, *files, **options)
    assert uow.committed == 0 and uow.rows(Attachment) == []
    if len(files) == 1:
        assert [p for p in settings.upload_dir.rglob("*") if p.is_file()] == []  # no temporary file either
    return raised.value.message


def test_a_file_is_stored_under_its_content_and_described(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    [info] = upload(uow, settings, ("../../答复函.pdf", PDF))
    digest = hashlib.sha256(PDF).hexdigest()
    assert (settings.upload_dir / digest[:2] / digest).read_bytes() == PDF
    assert uow.committed == 1
    [row] = uow.rows(Attachment)
    assert (row.filename, row.content_type, row.size, row.uploaded_by) == ("答复函.pdf", "application/pdf", len(PDF), "tw_li")
    assert info["id"] == row.id


def test_the_same_file_twice_shares_one_stored_file(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    upload(uow, settings, ("答复函.pdf", PDF), ("答复函（副本）.pdf", PDF))
    assert len({row.storage_key for row in uow.rows(Attachment)}) == 1 and len(uow.rows(Attachment)) == 2
    assert [p.name for p in settings.upload_dir.rglob("*") if p.is_file()] == [hashlib.sha256(PDF).hexdigest()]


def test_a_type_not_allowed_is_refused_with_the_list(settings):
    message = refusal(settings, ("脚本.exe", b"MZ"))
    assert message.startswith("不支持的文件类型：.exe（允许：pdf、")


def test_a_name_without_extension_is_refused(settings):
    assert refusal(settings, ("答复函", PDF)).startswith("不支持的文件类型：没有扩展名")


def test_a_file_over_the_limit_is_refused_with_the_limit(settings):
    assert refusal(replace(settings, max_upload_bytes=2048), ("大文件.pdf", b"%" * 2049)) == "文件过大：最大 2 KB"


def test_an_empty_or_missing_file_is_refused(settings):
    assert refusal(settings, ("空.pdf", b"")) == "文件为空"
    assert refusal(settings, ("无.pdf", None)) == "请选择要上传的文件"


@pytest.mark.parametrize("content", [b"<html><script>alert(1)</script>", b"\xef\xbb\xbf  \n<svg/>", b"#!/bin/sh\n"])
def test_a_web_page_or_script_named_pdf_is_refused(settings, content):
    assert refusal(settings, ("答复.pdf", content)).startswith("文件内容与类型不符")


def test_the_same_markup_in_a_txt_is_stored(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    [info] = upload(uow, settings, ("说明.txt", b"<b>text</b>"))
    assert info["content_type"] == "text/plain" and uow.committed == 1


def test_one_refused_file_refuses_the_batch(settings):
    assert refusal(settings, ("答复函.pdf", PDF), ("脚本.exe", b"MZ")).startswith("不支持的文件类型")


def test_a_form_field_upload_names_the_field_in_its_refusal(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    with pytest.raises(InvalidForm) as raised:
        upload(uow, settings, ("空.pdf", b""), field="reply_files", name_field=True)
    assert raised.value.errors == [{"field": "reply_files", "message": "文件为空"}]


def test_a_proposal_that_does_not_exist_is_not_found(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal())
    with pytest.raises(NotFound, match="找不到该提案"):
        upload(uow, settings, ("答复函.pdf", PDF), proposal_id=2)


def test_a_file_for_a_task_is_accepted_only_for_ones_own_open_task(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal(), open_task(), open_task("review", "committee", None, task_id="t-2"))
    with pytest.raises(NotFound, match="只能为本提案中您的待办任务上传附件"):
        upload(uow, settings, ("记录.pdf", PDF), task_id=TASK_ID)  # the unit's consultation, not the committee's
    [info] = upload(uow, settings, ("记录.pdf", PDF), task_id="t-2", field="review_files")
    assert (info["task_id"], info["field"]) == ("t-2", "review_files")


def test_a_form_names_only_attachments_of_its_own_proposal(settings):
    uow = FakeUnitOfWork(COMMITTEE, proposal(1), proposal(2))
    [own] = upload(uow, settings, ("答复函.pdf", PDF))
    [other] = upload(uow, settings, ("其他.pdf", PDF), proposal_id=2)
    check = lambda ids: attachments.check_attachment_ids(uow.session, 1, ids)  # noqa: E731
    assert check([own["id"], str(own["id"])]) == []
    assert check([other["id"], "x", True, 0, 10**13]) == [
        "附件 ID 应为整数：'x'", "附件 ID 应为整数：True", "附件 ID 应为整数：0",
        f"找不到附件 {other['id']}（不存在或不属于本提案）", "找不到附件 10000000000000（不存在或不属于本提案）"]
