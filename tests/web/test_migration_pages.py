"""The designers' migration page: the dry run case by case, then the move."""
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.definitions import versions
from engine.model.tables import Case, Event
from engine.tooling import demo


def deploy_retitled(app):
    """Deploy a version that renames the plan approval; return its hash."""
    ext = app.extensions["cppcc"]
    with UnitOfWork(ext["db"]) as uow:
        rt = ext["runtime"]
        files = versions.merged_files(uow.session, rt, {"handling.bpmn": rt.files_bundle.files["handling.bpmn"]
                                                        .replace('name="审批办理方案"', 'name="审批办理方案（新）"')})
        versions.deploy(uow.session, rt, files, "designer", "cli")
        uow.commit()
        return versions.current_definition(uow.session, rt).hash


def test_designer_dry_runs_then_migrates_from_the_page(app, browser):
    ext = app.extensions["cppcc"]
    pid = demo.submit(ext["db"], ext["runtime"], "wy_chen", "关于加强停车管理的建议", "urban",
                      "停车难问题日益突出，需要综合治理。", "建设立体停车库")
    new_hash = deploy_retitled(app)

    designer = browser().login("designer")
    page = designer.text("/designer/migrations")
    assert f"迁移到 <code>{new_hash}</code>" in page and "可以迁移" in page and "关于加强停车管理的建议" in page
    with UnitOfWork(ext["db"]) as uow:
        assert uow.session.scalar(select(Event).where(Event.kind == "migrated")) is None  # the dry run wrote nothing

    moved = designer.post("/designer/migrations", {"to": new_hash})
    assert moved.status_code == 200
    text = moved.get_data(as_text=True)
    assert "已迁移 <strong>1</strong> 件" in text and "无需迁移" in text
    with UnitOfWork(ext["db"]) as uow:
        case = uow.session.scalar(select(Case).where(Case.proposal_id == pid))
        assert versions.find_version(uow.session, new_hash).id == case.definition_id
    committee = browser().login("tawei_li")
    assert "流程版本由" in committee.text(f"/proposals/{pid}")
    assert committee.get("/designer/migrations").status_code == 403
    assert designer.get("/designer/migrations?to=nonexistent").status_code == 404
