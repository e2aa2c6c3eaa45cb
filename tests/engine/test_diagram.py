"""engine.queries.diagram_marks: a proposal's diagrams with the steps done and the steps open."""
import pytest
from case_drivers import plan
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.definitions.bundle import content_hash
from engine.model.errors import NotFound
from engine.model.tables import Case, ProcessDefinition
from engine.queries.diagram_marks import case_diagram


def diagram_of(walk, proposal_id) -> dict:
    with UnitOfWork(walk.db) as uow:
        return case_diagram(uow.session, walk.rt, proposal_id)


def by_process(result) -> dict:
    return {d["process_id"]: d for d in result["diagrams"]}


def test_new_proposal_waits_for_review(walk):
    proposal_id = walk.submit()
    result = diagram_of(walk, proposal_id)
    assert [d["process_id"] for d in result["diagrams"]] == ["proposal", "handling"]  # main process first
    main, handling = result["diagrams"]
    assert (main["name"], main["file"]) == ("政协提案办理", "proposal.bpmn")
    assert (handling["name"], handling["file"]) == ("承办单位办理", "handling.bpmn")
    assert main["done"] == [] and main["current"] == ["review"]
    assert handling["done"] == [] and handling["current"] == []
    assert "<bpmndi:BPMNDiagram" in main["xml"] and 'id="review"' in main["xml"]


def test_steps_are_put_in_the_diagram_that_holds_them(walk):
    proposal_id = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", "fgw_clerk", plan())
    walk.do("plan_approve", "fgw_head", {"approved": True})
    diagrams = by_process(diagram_of(walk, proposal_id))
    assert diagrams["proposal"]["done"] == ["assign", "review"]
    assert diagrams["proposal"]["current"] == ["handle"]  # the call activity while the unit handles
    assert diagrams["handling"]["done"] == ["accept", "plan_approve", "plan_draft"]
    assert diagrams["handling"]["current"] == ["consultation"]


def test_a_step_done_before_and_open_again_is_in_both_lists(walk):
    proposal_id = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", "fgw_clerk", plan())
    walk.do("plan_approve", "fgw_head", {"approved": False, "approve_comment": "请细化"})
    handling = by_process(diagram_of(walk, proposal_id))["handling"]
    assert handling["done"] == ["accept", "plan_approve", "plan_draft"]
    assert handling["current"] == ["plan_draft"]


def test_closed_case_has_no_current_step(walk):
    proposal_id = walk.submit()
    walk.do("review", "tw", {"review_decision": "not_file", "category": "urban", "review_reason": "不属于提案范围"})
    assert walk.case(proposal_id).completed
    diagrams = by_process(diagram_of(walk, proposal_id))
    assert diagrams["proposal"]["done"] == ["review"]
    assert all(d["current"] == [] for d in diagrams.values())
    assert diagrams["handling"]["done"] == []


def test_diagrams_come_from_the_version_the_case_runs_on(walk):
    proposal_id = walk.submit()
    with UnitOfWork(walk.db) as uow:
        case = uow.session.scalar(select(Case).where(Case.proposal_id == proposal_id, Case.process == "proposal"))
        started_on = uow.session.get(ProcessDefinition, case.definition_id)
        files = dict(started_on.files)
        files["proposal.bpmn"] = files["proposal.bpmn"].replace(
            'name="审查立案"', 'name="审查立案（旧版）"', 1)
        older = ProcessDefinition(hash=content_hash(files), files=files, created_at=started_on.created_at)
        uow.session.add(older)
        uow.session.flush()
        case.definition_id = older.id
        uow.commit()
    main = by_process(diagram_of(walk, proposal_id))["proposal"]
    assert 'name="审查立案（旧版）"' in main["xml"]
    assert main["current"] == ["review"]


def test_proposal_without_case_is_not_found(walk):
    with pytest.raises(NotFound):
        diagram_of(walk, 424242)



def test_call_activity_is_current_while_a_unit_handles(walk):
    proposal_id = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": ["fgw"], "is_key": False})
    main = by_process(diagram_of(walk, proposal_id))["proposal"]
    assert "handle" in main["current"] and "assign" in main["done"]
