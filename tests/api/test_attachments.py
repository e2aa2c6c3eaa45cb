"""Attachments: upload, list and download through the API; the checks on what is
stored; who may see them; and that a refused upload leaves nothing behind.

Uses the `world` of conftest: p1 (陈委员, co-signed by 林委员) is being handled
by fgw (lead, fgw_clerk has the consultation task) with jw assisting; p2 waits
for 林委员's co-signature; p3 (吴委员) waits for review.
"""
import io
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import LargeBinary, func, select

from engine.adapters.db import UnitOfWork
from engine.model.errors import InvalidForm
from engine.model.tables import Attachment, User
from engine.services import attachments

CJK = re.compile(r"[\u4e00-\u9fff]")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
NAME = "关于停车管理的答复（第1稿）.pdf"


def upload(api, username, proposal_id, content=PDF, filename=NAME, **form):
    """POST a multipart upload as `username`; return the response."""
    data = {**form}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    return api.client.post(f"/api/proposals/{proposal_id}/attachments", data=data,
                           content_type="multipart/form-data", headers=api.headers(username))


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and CJK.search(error["message"]), error
    return error


def stored_files(app) -> list[Path]:
    """Every file under the upload directory, temporary ones included."""
    root = app.extensions["cppcc"]["settings"].upload_dir
    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() else []


def attachment_rows(app) -> int:
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        return uow.session.scalar(select(func.count()).select_from(Attachment))


def test_round_trip_with_a_chinese_name(app, api, world):
    p1 = world["p1"]
    response = upload(api, "fgw_clerk", p1, task_id=world["tasks"]["consultation"], field="contact_record")
    assert response.status_code == 201, response.get_json()
    info = response.get_json()
    assert info["filename"] == NAME and info["size"] == len(PDF) and info["content_type"] == "application/pdf"
    assert (info["uploaded_by"], info["task_id"], info["field"]) == (
        "fgw_clerk", world["tasks"]["consultation"], "contact_record")
    assert info["url"] == f"/api/attachments/{info['id']}" and info["uploaded_at"].endswith("+00:00")

    # everyone who may see p1 sees the list and can download: the co-signer too
    listed = api.get("wy_lin", f"/api/proposals/{p1}/attachments")
    assert listed.status_code == 200 and listed.get_json() == {"items": [info]}
    download = api.get("wy_lin", info["url"])
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(NAME)}" in disposition  # RFC 5987: the Chinese name survives
    assert "private" in download.headers["Cache-Control"]


def test_the_file_is_on_disk_not_in_the_database(app, api, world):
    marker = b"%PDF-1.7 unique-marker-\xe6\x8f\x90\xe6\xa1\x88-" + os.urandom(16).hex().encode()
    info = upload(api, "tw_li", world["p3"], content=marker, filename="正文.pdf").get_json()
    settings = app.extensions["cppcc"]["settings"]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        row = uow.session.get(Attachment, info["id"])
    assert row.storage_key == f"{row.sha256[:2]}/{row.sha256}" and row.size == len(marker)
    assert (settings.upload_dir / row.storage_key).read_bytes() == marker
    assert stored_files(app) == [settings.upload_dir / row.storage_key]  # no temporary file left
    assert not any(isinstance(c.type, LargeBinary) for c in Attachment.__table__.columns)
    url = str(app.extensions["cppcc"]["db"].url)
    if url.startswith("sqlite"):
        db_file = Path(url.split("///", 1)[1])
        for path in (db_file, Path(f"{db_file}-wal")):
            if path.exists():
                assert marker not in path.read_bytes()
    # the same bytes again: a second row, one stored file
    again = upload(api, "tw_li", world["p3"], content=marker, filename="正文（副本）.pdf").get_json()
    assert again["id"] != info["id"] and len(stored_files(app)) == 1
    assert api.get("wy_wu", again["url"]).data == marker


@pytest.mark.parametrize("settings_overrides", [{"max_upload_bytes": 1024}])
def test_size_limit(app, api, world):
    p3 = world["p3"]
    error = error_of(upload(api, "tw_li", p3, content=b"%PDF" + b"x" * 1021), 422)
    assert error["message"] == "文件过大：最大 1 KB"
    assert error["errors"] == [{"field": "file", "message": "文件过大：最大 1 KB"}]
    # far beyond the limit: Flask refuses the body before anything reads it
    huge = b"%PDF" + b"x" * (1024 * 1024 + 2048)
    assert error_of(upload(api, "tw_li", p3, content=huge), 413)["message"] == "上传内容过大"
    assert stored_files(app) == [] and attachment_rows(app) == 0
    exact = upload(api, "tw_li", p3, content=b"%PDF" + b"x" * 1020)
    assert exact.status_code == 201 and exact.get_json()["size"] == 1024


def test_default_limit_message(app, api, world):
    assert app.extensions["cppcc"]["settings"].max_upload_bytes == 20 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 21 * 1024 * 1024
    assert attachments.describe_size(20 * 1024 * 1024) == "20 MB"


class Endless:
    """A stream that never ends, counting what was read from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        assert size > 0, "an unbounded read"
        self.read_bytes += size
        return b"%" * size


@pytest.mark.parametrize("settings_overrides", [{"max_upload_bytes": 300 * 1024}])
def test_reading_stops_at_the_limit(app, world):
    settings = app.extensions["cppcc"]["settings"]
    stream = Endless()
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        user = uow.session.scalar(select(User).where(User.username == "tw_li"))
        with pytest.raises(InvalidForm) as raised:
            attachments.save_attachment(uow.session, settings, user, world["p3"], "大文件.pdf", stream)
    assert raised.value.message == "文件过大：最大 300 KB"
    assert stream.read_bytes == settings.max_upload_bytes + 1
    assert stored_files(app) == []


@pytest.mark.parametrize("filename, message", [
    ("setup.exe", "不支持的文件类型：.exe（允许：pdf、doc、docx、xls、xlsx、ppt、pptx、wps、txt、jpg、jpeg、png、zip）"),
    ("答复.pdf.html", "不支持的文件类型：.html（允许：pdf、doc、docx、xls、xlsx、ppt、pptx、wps、txt、jpg、jpeg、png、zip）"),
    ("没有扩展名", "不支持的文件类型：没有扩展名（允许：pdf、doc、docx、xls、xlsx、ppt、pptx、wps、txt、jpg、jpeg、png、zip）"),
    ("", "请选择要上传的文件"),  # a browser sends an empty name when nothing was chosen
])
def test_bad_type(app, api, world, filename, message):
    error = error_of(upload(api, "tw_li", world["p3"], filename=filename), 422)
    assert error["message"] == message and error["errors"] == [{"field": "file", "message": message}]
    assert stored_files(app) == [] and attachment_rows(app) == 0


def test_type_is_case_insensitive_and_comes_from_the_name(app, api, world):
    response = upload(api, "tw_li", world["p3"], filename="扫描件.PDF")
    assert response.status_code == 201 and response.get_json()["content_type"] == "application/pdf"
    data = {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n...."), "照片.png", "text/html")}  # the client's type is ignored
    response = api.client.post(f"/api/proposals/{world['p3']}/attachments", data=data,
                               content_type="multipart/form-data", headers=api.headers("tw_li"))
    assert response.status_code == 201 and response.get_json()["content_type"] == "image/png"


def test_empty_and_missing_file(app, api, world):
    error = error_of(upload(api, "tw_li", world["p3"], content=b""), 422)
    assert error["message"] == "文件为空" and error["errors"][0]["field"] == "file"
    error = error_of(upload(api, "tw_li", world["p3"], content=None, field="x"), 422)
    assert error["message"] == "请选择要上传的文件"
    assert stored_files(app) == [] and attachment_rows(app) == 0


@pytest.mark.parametrize("content", [
    b"<html><body><script>alert(document.cookie)</script></body></html>",
    b"\r\n   \t<!DOCTYPE html><html></html>",
    b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "<html><script>alert(1)</script></html>".encode("utf-16"),
    b"#!/bin/sh\nrm -rf /\n",
    b" " * 2000 + b"<script>alert(1)</script>",  # markup after a long run of blanks
])
def test_markup_disguised_as_pdf_is_refused(app, api, world, content):
    error = error_of(upload(api, "tw_li", world["p3"], content=content, filename="答复.pdf"), 422)
    assert error["message"].startswith("文件内容与类型不符") and error["errors"][0]["field"] == "file"
    assert stored_files(app) == [] and attachment_rows(app) == 0


def test_markup_in_a_txt_is_stored_but_never_served_as_html(app, api, world):
    content = b"<html><script>alert(1)</script></html>"
    info = upload(api, "tw_li", world["p3"], content=content, filename="说明.txt").get_json()
    download = api.get("tw_li", info["url"])
    assert download.data == content
    assert download.mimetype == "application/octet-stream"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_names_are_cleaned_for_display(app, api, world):
    response = upload(api, "tw_li", world["p3"], filename="../../etc/答复.pdf")
    assert response.status_code == 201 and response.get_json()["filename"] == "答复.pdf"
    cases = {
        "C:\\Users\\陈\\Desktop\\关于 停车.pdf": "关于 停车.pdf",  # old browsers send the whole path
        "答复\u202efdp.exe.pdf": "答复fdp.exe.pdf",  # a right-to-left override hiding the real end
        "  两个\t\n空白\x00  .pdf. ": "两个 空白 .pdf",
        "问题?说明:\"初稿\".docx": "问题_说明__初稿_.docx",
        "长" * 300 + ".pdf": "长" * 251 + ".pdf",
    }
    settings = app.extensions["cppcc"]["settings"]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        user = uow.session.scalar(select(User).where(User.username == "tw_li"))
        for raw, shown in cases.items():
            info = attachments.save_attachment(uow.session, settings, user, world["p3"], raw, io.BytesIO(PDF))
            assert info["filename"] == shown, raw
        with pytest.raises(InvalidForm, match="文件名不能为空"):
            attachments.save_attachment(uow.session, settings, user, world["p3"], " ..\u200b ", io.BytesIO(PDF))
    # stored under the content hash only, whatever the name
    assert [p.relative_to(settings.upload_dir).parts for p in stored_files(app)] == [
        (attachments.hashlib.sha256(PDF).hexdigest()[:2], attachments.hashlib.sha256(PDF).hexdigest())]


def test_user_who_may_not_see_the_proposal_gets_404(app, api, world):
    p1 = world["p1"]
    info = upload(api, "fgw_clerk", p1).get_json()
    unknown = error_of(api.get("jtw_clerk", "/api/proposals/424242/attachments"), 404)
    for user in ("jtw_clerk", "wy_wu"):  # another unit; a proposer of another proposal
        assert error_of(upload(api, user, p1), 404) == unknown
        assert error_of(api.get(user, f"/api/proposals/{p1}/attachments"), 404) == unknown
        assert error_of(api.get(user, info["url"]), 404) == error_of(api.get(user, "/api/attachments/424242"), 404)
    error_of(upload(api, "fgw_clerk", 424242), 404)
    assert attachment_rows(app) == 1 and len(stored_files(app)) == 1


def test_not_logged_in(api, world):
    response = api.client.post(f"/api/proposals/{world['p1']}/attachments",
                               data={"file": (io.BytesIO(PDF), NAME)}, content_type="multipart/form-data")
    assert error_of(response, 401)["message"] == "请先登录"
    error_of(api.client.get(f"/api/proposals/{world['p1']}/attachments"), 401)
    error_of(api.client.get("/api/attachments/1"), 401)


def test_uploading_for_a_task_that_is_not_yours_is_404(app, api, world):
    tasks = world["tasks"]
    # jw_clerk sees p1 but the consultation task is fgw's: as if it did not exist
    error_of(upload(api, "jw_clerk", world["p1"], task_id=tasks["consultation"]), 404)
    # the committee sees everything, but p3's review task is not a task of p1
    error_of(upload(api, "tw_li", world["p1"], task_id=tasks["review"]), 404)
    error_of(upload(api, "tw_li", world["p1"], task_id="00000000-0000-0000-0000-000000000000"), 404)
    assert stored_files(app) == [] and attachment_rows(app) == 0
    # the task's own people may
    assert upload(api, "jw_clerk", world["p1"], task_id=tasks["assist_opinion"]).status_code == 201


def test_failed_upload_leaves_no_file_and_no_row(app, api, world):
    p3 = world["p3"]
    assert upload(api, "tw_li", p3).status_code == 201
    before_files, before_rows = stored_files(app), attachment_rows(app)
    failures = [
        upload(api, "tw_li", p3, content=b""),
        upload(api, "tw_li", p3, filename="病毒.exe"),
        upload(api, "tw_li", p3, content=b"<html></html>"),
        upload(api, "tw_li", p3, field="x" * 81),
        upload(api, "jw_clerk", p3),
    ]
    assert [r.status_code for r in failures] == [422, 422, 422, 422, 404]
    assert stored_files(app) == before_files and attachment_rows(app) == before_rows
    assert len(api.get("tw_li", f"/api/proposals/{p3}/attachments").get_json()["items"]) == 1


def test_check_attachment_ids(app, api, world):
    own = upload(api, "tw_li", world["p1"]).get_json()["id"]
    other = upload(api, "tw_li", world["p2"]).get_json()["id"]
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow:
        check = lambda ids: attachments.check_attachment_ids(uow.session, world["p1"], ids)  # noqa: E731
        assert check([own]) == [] and check([str(own)]) == [] and check([]) == []
        assert check([other]) == [f"找不到附件 {other}（不存在或不属于本提案）"]
        assert check([own, 999999, 10**12]) == ["找不到附件 999999（不存在或不属于本提案）",
                                                "找不到附件 1000000000000（不存在或不属于本提案）"]
        problems = check(["abc", True, 1.5, None])
        assert len(problems) == 4 and all(p.startswith("附件 ID 应为整数") for p in problems)
        # the same message whether it exists elsewhere or not at all: no probing other proposals
        assert check([other])[0].replace(str(other), "N") == check([999999])[0].replace("999999", "N")


def test_the_sweep_command_removes_what_a_refused_batch_left_and_keeps_every_attachment(app, api, world, capsys,
                                                                                         monkeypatch):
    from api.cli import main
    p3 = world["p3"]
    assert upload(api, "tw_li", p3).status_code == 201
    settings = app.extensions["cppcc"]["settings"]
    left = b"%PDF-1.4\n% placed, then its batch was refused\n%%EOF\n"
    with UnitOfWork(app.extensions["cppcc"]["db"]) as uow, pytest.raises(InvalidForm):
        tw = uow.session.scalar(select(User).where(User.username == "tw_li"))
        attachments.upload_attachments(uow, settings, tw, p3, [("附件.pdf", io.BytesIO(left), None),
                                                               ("病毒.exe", io.BytesIO(b"MZ"), None)])
    files = stored_files(app)
    assert len(files) == 2 and attachment_rows(app) == 1  # the refused batch's first file stayed
    for path in files:
        os.utime(path, (0, 0))  # long ago
    monkeypatch.setenv("CPPCC_UPLOAD_DIR", str(settings.upload_dir))
    url = settings.database_url
    assert main(["--database-url", url, "sweep-uploads", "--dry-run"]) == 0
    assert "可清理 1 个文件" in capsys.readouterr().out and len(stored_files(app)) == 2
    assert main(["--database-url", url, "sweep-uploads"]) == 0
    out = capsys.readouterr().out
    assert "已清理 1 个文件" in out and "保留 1 个" in out
    [kept] = stored_files(app)
    assert kept.read_bytes() == PDF
    assert api.client.get(api.get("tw_li", f"/api/proposals/{p3}/attachments").get_json()["items"][0]["url"],
                          headers=api.headers("tw_li")).data == PDF
