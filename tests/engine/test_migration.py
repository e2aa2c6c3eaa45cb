"""Moving running cases to a new definition version: dry run, bulk move, the log."""
from datetime import timedelta

import pytest
from case_drivers import contact, plan
from sqlalchemy import select

from engine.adapters.db import UnitOfWork
from engine.definitions import versions
from engine.model import clock
from engine.model.errors import DefinitionError
from engine.model.tables import Case, Event, OpenTask, ProcessDefinition
from engine.services import case_migration as migration, timers
from engine.tooling.demo import load_demo

NEW_STEP = """<bpmn:sequenceFlow id="f_plan_review" sourceRef="plan_draft" targetRef="plan_review"/>
    <bpmn:userTask id="plan_review" name="科室复核办理方案">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="due" value="due_date(reply_rule, assigned_on, 'reply', lead_unit)"/>
          <spiffworkflow:property name="role" value="unit_head"/>
          <spiffworkflow:property name="unit" value="lead_unit"/>
          <spiffworkflow:property name="form" value="approve"/>
          <spiffworkflow:property name="stage" value="handling"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_plan_review</bpmn:incoming>
      <bpmn:outgoing>f_plan_approve</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_plan_approve" sourceRef="plan_review" targetRef="plan_approve"/>"""


def new_handling(text: str) -> str:
    """handling.bpmn with a review step after the plan, the plan task renamed, and the
    acceptance task given a new id (so a case waiting at acceptance cannot move)."""
    old_flow = '<bpmn:sequenceFlow id="f_plan_approve" sourceRef="plan_draft" targetRef="plan_approve"/>'
    assert old_flow in text
    text = text.replace(old_flow, NEW_STEP)
    text = text.replace('<bpmn:outgoing>f_plan_approve</bpmn:outgoing>\n    </bpmn:userTask>\n    <bpmn:sequenceFlow id="f_plan_review"',
                        '<bpmn:outgoing>f_plan_review</bpmn:outgoing>\n    </bpmn:userTask>\n    <bpmn:sequenceFlow id="f_plan_review"')
    text = text.replace('name="拟定办理方案"', 'name="拟定办理方案（含经费测算）"')
    for attr in ('id="accept"', 'Ref="accept"', 'bpmnElement="accept"'):
        text = text.replace(attr, attr.replace('"accept"', '"sign_for"'))
    return text


def to_accept(walk, unit="fgw") -> int:
    pid = walk.submit()
    walk.do("review", "tw", {"review_decision": "file", "category": "urban"})
    walk.do("assign", "tw", {"assign_mode": "single", "lead_unit_ids": [unit], "is_key": False})
    return pid


def deploy_new(walk, runtime):
    with UnitOfWork(walk.db) as uow:
        files = versions.merged_files(uow.session, runtime, {
            "handling.bpmn": new_handling(runtime.files_bundle.files["handling.bpmn"])})
        deployment, created = versions.deploy(uow.session, runtime, files, "designer", "cli", "增加方案复核")
        uow.commit()
        return uow.session.get(ProcessDefinition, deployment.definition_id).hash


def test_dry_run_says_case_by_case_whether_it_can_move(walk, runtime):
    at_plan = to_accept(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    at_accept = to_accept(walk, "jw")
    old = walk.case(at_plan).definition_id
    new_hash = deploy_new(walk, runtime)

    target, checks = migration.plan(walk.db, runtime)
    assert target == new_hash
    by_proposal = {c.proposal_id: c for c in checks}
    assert by_proposal[at_plan].movable and by_proposal[at_plan].reasons == []
    assert not by_proposal[at_accept].movable
    assert any("accept" in r and "待办" in r for r in by_proposal[at_accept].reasons), by_proposal[at_accept].reasons
    # a dry run writes nothing
    assert walk.case(at_plan).definition_id == old
    assert walk.events(at_plan, "migrated") == 0


def test_bulk_migration_moves_those_that_can_and_logs_it(walk, runtime):
    at_plan = to_accept(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    at_accept = to_accept(walk, "jw")
    old_id = walk.case(at_accept).definition_id
    new_hash = deploy_new(walk, runtime)

    result = migration.migrate(walk.db, runtime, by="designer")
    assert [c.proposal_id for c in result["moved"]] == [at_plan]
    assert [c.proposal_id for c in result["skipped"]] == [at_accept]
    assert result["failed"] == []
    with UnitOfWork(walk.db) as uow:
        moved = uow.session.scalar(select(Case).where(Case.proposal_id == at_plan, Case.process == "proposal"))
        assert uow.session.get(ProcessDefinition, moved.definition_id).hash == new_hash
        row = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == at_plan))
        assert (row.name, row.title) == ("plan_draft", "拟定办理方案（含经费测算）")  # same task, new title
        event = uow.session.scalar(select(Event).where(Event.proposal_id == at_plan, Event.kind == "migrated"))
        assert event.data["to"] == new_hash and event.data["by"] == "designer"
    assert walk.case(at_accept).definition_id == old_id  # stays where it was

    # the moved case goes on through the new step; the other one on its old version
    walk.do("plan_draft", "fgw_clerk", plan())
    assert walk.open_tasks() == ["accept", "plan_review"]
    walk.do("plan_review", "fgw_head", {"approved": True})
    walk.do("plan_approve", "fgw_head", {"approved": True})
    walk.do("accept", "jw_clerk", {"accept_decision": "accept"})
    walk.do("plan_draft", "jw_clerk", plan())
    walk.do("plan_approve", "jw_head", {"approved": True})
    assert "consultation" in walk.open_tasks()
    walk.do("consultation", "fgw_clerk", contact(more_contacts=False))

    # past its acceptance, the other case holds nothing the new version lacks: now it moves
    again = migration.migrate(walk.db, runtime)
    assert [c.proposal_id for c in again["moved"]] == [at_accept] and again["skipped"] == []
    walk.do("consultation", "jw_clerk", contact(more_contacts=False))
    assert migration.plan(walk.db, runtime)[1] == []


def test_new_cases_start_on_the_deployed_version_and_old_ones_keep_theirs(walk, runtime):
    first = to_accept(walk)
    new_hash = deploy_new(walk, runtime)
    second = to_accept(walk, "jw")
    with UnitOfWork(walk.db) as uow:
        assert uow.session.get(ProcessDefinition, walk.case(second).definition_id).hash == new_hash
        assert uow.session.get(ProcessDefinition, walk.case(first).definition_id).hash != new_hash
    assert sorted(walk.open_tasks()) == ["accept", "sign_for"]


def test_a_broken_version_is_refused_whole_with_element_ids(walk, runtime):
    text = runtime.files_bundle.files["handling.bpmn"]
    broken = text.replace('<spiffworkflow:property name="role" value="unit_clerk"/>', "", 1)
    broken = broken.replace('calledDecisionId>approval_chain<', 'calledDecisionId>no_such_table<')
    with UnitOfWork(walk.db) as uow:
        before = versions.current_definition(uow.session, runtime).hash
        files = versions.merged_files(uow.session, runtime, {"handling.bpmn": broken})
        with pytest.raises(DefinitionError) as err:
            versions.deploy(uow.session, runtime, files, "designer", "cli")
        uow.commit()
    found = {(p["file"], p["element"], p["message"].split("：")[0].split(" ")[0]) for p in err.value.problems}
    assert found == {("processes/handling.bpmn", "accept", "用户任务的"),
                     ("processes/handling.bpmn", "approval_rules", "业务规则任务引用的决策表")}, found
    with UnitOfWork(walk.db) as uow:
        assert versions.current_definition(uow.session, runtime).hash == before
        assert len(versions.list_versions(uow.session, runtime)) == 1


def test_an_unknown_target_version_is_a_clear_error(walk, runtime):
    to_accept(walk)
    with pytest.raises(Exception, match="没有版本"):
        migration.plan(walk.db, runtime, "ffffffffff")


def test_every_demo_case_moves_to_a_retitled_version_and_goes_on(database, runtime):
    """The demo's proposals stand at every stage; a version that only renames a task takes them all."""
    load_demo(database, runtime)
    with UnitOfWork(database) as uow:
        files = {name: text.replace('name="审批办理方案"', 'name="审批办理方案（新）"')
                 for name, text in versions.current_definition(uow.session, runtime).files.items()}
        versions.deploy(uow.session, runtime, files, "designer", "cli")
        uow.commit()
    target, checks = migration.plan(database, runtime)
    assert len(checks) >= 8 and all(c.movable for c in checks), [c.reasons for c in checks if not c.movable]
    result = migration.migrate(database, runtime)
    assert len(result["moved"]) == len(checks) and not result["failed"]
    with UnitOfWork(database) as uow:
        running = uow.session.scalars(select(Case).where(Case.completed.is_(False))).all()
        assert {uow.session.get(ProcessDefinition, c.definition_id).hash for c in running} == {target}
    # every moved case still loads and runs: fire whatever would be due half a year later
    clock.use(clock.MovableClock(clock.now() + timedelta(days=180)))
    try:
        outcome = timers.run_once(database, runtime)
    finally:
        clock.use(clock.SystemClock())
    assert outcome["failed"] == 0 and outcome["fired"] > 0


def test_a_pending_extension_request_moves_and_its_decision_still_opens(walk, runtime):
    """The extension request is a case of its own process: checked and moved against the
    new version's extension process, then opened and decided there."""
    from engine.queries import records as queries
    from engine.services import extensions
    pid = to_accept(walk)
    walk.do("accept", "fgw_clerk", {"accept_decision": "accept"})
    wanted = (clock.now() + timedelta(days=120)).astimezone(clock.CHINA).date().isoformat()
    with UnitOfWork(walk.db) as uow:
        extensions.request_extension(uow, runtime, walk.user(uow.session, "fgw_clerk"), pid,
                                     {"requested_due": wanted, "reason": "需要跨部门协调资金安排"})
    deploy_new(walk, runtime)
    target, checks = migration.plan(walk.db, runtime)
    side = [c for c in checks if c.process == "extension"]
    assert len(side) == 1 and side[0].movable, [c.reasons for c in side]
    result = migration.migrate(walk.db, runtime)
    assert "extension" in {c.process for c in result["moved"]} and not result["failed"]
    with UnitOfWork(walk.db) as uow:
        row = uow.session.scalar(select(OpenTask).where(OpenTask.proposal_id == pid,
                                                        OpenTask.name == "committee_decide"))
        detail = queries.task_detail(uow.session, runtime, walk.user(uow.session, "tw"), row.id)
        assert detail["name"] == "committee_decide" and detail["context"]["requested_due"]
    walk.do("committee_decide", "tw", {"approved": True})
    walk.do("gov_decide", "zfb", {"approved": True})
