"""Unit tests of engine.workflow.state: stored form, format migrations, the state-format upgrade from
an older SpiffWorkflow serializer, and compaction."""
import json

import pytest
from case_drivers import CONTACT, PLAN, REPORT, Flow, script_engine, to_follow_up
from SpiffWorkflow.util.task import TaskState

from engine.workflow import state


def joint_handling(bundle) -> Flow:
    """A Flow in the parallel part of joint handling: consultation plus two assisting opinions open."""
    flow = Flow(bundle)
    flow.do("review", {"review_decision": "file", "category": "urban"})
    flow.do("assign", {"assign_mode": "joint", "lead_unit_ids": ["fgw"], "assisting_unit_ids": ["jw", "kw"],
                       "is_key": False})
    flow.do("accept", {"accept_decision": "accept"})
    flow.do("plan_draft", PLAN)
    flow.do("plan_approve", {"approved": True})
    flow.do("consultation", {**CONTACT, "more_contacts": True})
    return flow


def ready_tasks(workflow) -> dict:
    """READY user tasks as {id: (name, data)}."""
    return {t.id: (t.task_spec.bpmn_id, t.data) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def reload(bundle, stored):
    return state.load(stored, bundle.spec, bundle.subprocess_specs, script_engine())


def test_round_trip_keeps_ready_tasks_and_their_data(bundle):
    flow = joint_handling(bundle)
    stored = state.dump(flow.workflow)
    before = ready_tasks(flow.workflow)
    assert sorted(n for n, _ in before.values()) == ["assist_opinion", "assist_opinion", "consultation"]
    loaded = reload(bundle, json.loads(json.dumps(stored)))  # as it comes back from the database
    assert ready_tasks(loaded) == before
    assert loaded.script_engine is not None
    assert state.dump(loaded) == stored


def test_loading_leaves_the_stored_state_untouched(bundle):
    stored = state.dump(joint_handling(bundle).workflow)
    text = json.dumps(stored)
    first, second = reload(bundle, stored), reload(bundle, stored)
    assert json.dumps(stored) == text
    assert ready_tasks(first) == ready_tasks(second) and len(ready_tasks(second)) == 3


def test_loading_does_not_depend_on_key_order(bundle):
    """Task data is stored as deltas from the parent: a reordered mapping (JSONB sorts keys) must still load."""
    flow = joint_handling(bundle)
    stored = json.loads(json.dumps(state.dump(flow.workflow)))
    expected = ready_tasks(reload(bundle, stored))
    for workflow in [stored["workflow"], *stored["workflow"]["subprocesses"].values()]:
        workflow["tasks"] = dict(reversed(list(workflow["tasks"].items())))
    assert ready_tasks(reload(bundle, stored)) == expected


def test_stored_state_has_no_spec_and_is_stamped(bundle):
    stored = state.dump(joint_handling(bundle).workflow)
    assert stored["format"] == state.STATE_FORMAT
    assert stored["spiff_serializer"]
    workflow = stored["workflow"]
    assert "spec" not in workflow and "subprocess_specs" not in workflow
    subprocesses = list(workflow["subprocesses"].values())
    assert subprocesses and all(s["spec"] == "handling" for s in subprocesses)  # a name, not a spec
    assert len(json.dumps(stored)) < 40_000  # boundary timers keep their predicted branches


def test_loaded_workflow_runs_on_the_given_spec(bundle):
    flow = joint_handling(bundle)
    loaded = reload(bundle, state.dump(flow.workflow))
    assert loaded.spec is bundle.spec
    assert all(s.spec is bundle.subprocess_specs["handling"] for s in loaded.subprocesses.values())


def test_migrate_refuses_a_newer_format():
    with pytest.raises(ValueError, match="newer"):
        state.migrate({"format": state.STATE_FORMAT + 1, "workflow": {}})


def test_migrate_treats_a_state_without_format_as_format_1(monkeypatch):
    monkeypatch.setattr(state, "STATE_FORMAT", 2)
    monkeypatch.setattr(state, "MIGRATIONS", {1: lambda old: {**old, "migrated": True}})
    assert state.migrate({"workflow": {}}) == {"workflow": {}, "migrated": True, "format": 2}


def test_migrate_applies_migrations_in_order(monkeypatch):
    applied = []

    def one_to_two(stored):
        applied.append(1)
        old = stored.pop("old")
        return {**stored, "renamed": old}

    def two_to_three(stored):
        applied.append(2)
        assert stored["format"] == 2
        return {**stored, "checked": True}

    monkeypatch.setattr(state, "STATE_FORMAT", 3)
    monkeypatch.setattr(state, "MIGRATIONS", {1: one_to_two, 2: two_to_three})
    original = {"format": 1, "old": "x"}
    result = state.migrate(original)
    assert applied == [1, 2]
    assert original == {"format": 1, "old": "x"}
    assert result == {"format": 3, "renamed": "x", "checked": True}
    assert state.migrate({"format": 3, "ok": 1}) == {"format": 3, "ok": 1} and applied == [1, 2]


def test_migrate_reports_a_missing_migration(monkeypatch):
    monkeypatch.setattr(state, "STATE_FORMAT", 2)
    monkeypatch.setattr(state, "MIGRATIONS", {})
    with pytest.raises(ValueError, match="no migration from case state format 1"):
        state.migrate({"format": 1})


def test_load_migrates_an_older_state(bundle, monkeypatch):
    flow = joint_handling(bundle)
    stored = state.dump(flow.workflow)
    stored["workflow"]["data"]["legacy_name"] = "kept"

    def rename(old):
        old["workflow"]["data"]["new_name"] = old["workflow"]["data"].pop("legacy_name")
        return old

    monkeypatch.setattr(state, "STATE_FORMAT", 2)
    monkeypatch.setattr(state, "MIGRATIONS", {1: rename})
    loaded = reload(bundle, stored)
    assert loaded.data == {"new_name": "kept"}
    assert state.dump(loaded)["format"] == 2


def test_compaction_drops_finished_history(bundle):
    flow = to_follow_up(Flow(bundle))
    for _ in range(20):
        flow.do("progress_report", REPORT)
    before, ready = flow.task_count(), ready_tasks(flow.workflow)
    dropped = state.compact(flow.workflow)
    assert dropped == before - flow.task_count()
    assert flow.task_count() < 40 < before
    assert ready_tasks(flow.workflow) == ready
    assert state.compact(flow.workflow) == 0  # nothing left to drop
    flow.do("progress_report", {**REPORT, "report_done": True})
    assert flow.ready_names() == ["close_confirm"]


def test_compaction_keeps_subprocesses_of_live_call_activities(bundle):
    flow = Flow(bundle)
    flow.do("review", {"review_decision": "file", "category": "urban"})
    flow.do("assign", {"assign_mode": "separate", "lead_unit_ids": ["fgw", "jw"], "assisting_unit_ids": [],
                       "is_key": False})
    flow.do("accept", {"accept_decision": "accept"}, lead_unit="fgw")
    flow.do("plan_draft", PLAN, lead_unit="fgw")
    before = flow.task_count()
    flow.roundtrip()
    top = flow.workflow
    assert flow.task_count() < before
    assert not [t for t in top.tasks.values() if t.task_spec.bpmn_id in ("review", "assign")]  # history dropped
    live = [t for t in top.get_tasks(state=TaskState.STARTED)
            if t.task_spec.bpmn_id == "handle" and t.id in top.subprocesses]
    assert len(live) == 2
    assert all(sub_id in top.tasks for sub_id in top.subprocesses)  # no orphans
    assert sorted((t.task_spec.bpmn_id, t.data["lead_unit"]) for t in flow.ready()) == [
        ("accept", "jw"), ("plan_approve", "fgw")]


def test_compaction_keeps_the_result_of_a_lead_unit_that_finished_first(bundle):
    """Separate handling: fgw replies and finishes while jw has not started; both results survive."""
    flow = Flow(bundle)
    flow.roundtrip()
    reply_a = {"reply_class": "A", "reply_text": "已解决", "involves_funds": False}
    for name, data in [("review", {"review_decision": "file", "category": "urban"}),
                       ("assign", {"assign_mode": "separate", "lead_unit_ids": ["fgw", "jw"],
                                   "assisting_unit_ids": [], "is_key": False})]:
        flow.do(name, data)
        flow.roundtrip()
    for unit in ("fgw", "jw"):
        for name, data in [("accept", {"accept_decision": "accept"}), ("plan_draft", PLAN),
                           ("plan_approve", {"approved": True}), ("consultation", {**CONTACT, "more_contacts": False}),
                           ("reply_draft", reply_a), ("head_approve", {"approved": True}),
                           ("supervise_review", {"final_class": "A", "approved": True}),
                           ("rate_reply", {"satisfaction": "satisfied", "disclosure_consent": True})]:
            flow.do(name, data, lead_unit=unit)
            flow.roundtrip()
        if unit == "fgw":
            assert flow.ready_names() == ["accept"] and not flow.workflow.is_completed()
    assert flow.workflow.is_completed()
    results = flow.workflow.last_task.data["handling_results"]
    assert {unit: r["reply_class"] for unit, r in results.items()} == {"fgw": "A", "jw": "A"}


def test_compaction_leaves_a_finished_workflow_alone(bundle):
    flow = Flow(bundle)
    flow.do("review", {"review_decision": "not_file", "category": "urban"})
    assert flow.workflow.is_completed()
    count = flow.task_count()
    assert state.compact(flow.workflow) == 0 and flow.task_count() == count
    stored = flow.roundtrip()
    assert stored["workflow"]["completed"] and flow.workflow.last_task.data["status"] == "not_filed"


# -- state-format upgrade: a state written by an older SpiffWorkflow serializer ------------

def as_serializer_1_3(stored: dict, bundle) -> dict:
    """`stored` as SpiffWorkflow's serializer 1.3 wrote it: a multi-instance task that has been
    reached was WAITING then (8), where 1.4 and later have it STARTED (the library's 1.3
    migration, update_mi_states, turns it back)."""
    old = json.loads(json.dumps(stored))
    old["spiff_serializer"] = "1.3"
    specs = {bundle.spec.name: bundle.spec, **bundle.subprocess_specs}
    pieces = [(old["workflow"], bundle.spec.name),
              *((sub, sub["spec"]) for sub in old["workflow"]["subprocesses"].values())]
    changed = 0
    for piece, name in pieces:
        for task in piece["tasks"].values():
            spec = specs[name].task_specs[task["task_spec"]]
            if type(spec).__name__ == "ParallelMultiInstanceTask" and task["state"] == TaskState.STARTED:
                task["state"] = TaskState.WAITING
                changed += 1
    assert changed == 2  # the lead unit's handling and its assisting opinions
    return old


def test_a_state_stored_by_an_older_spiff_serializer_is_upgraded_and_the_case_continues(bundle):
    flow = joint_handling(bundle)
    old = as_serializer_1_3(state.dump(flow.workflow), bundle)
    text = json.dumps(old)
    flow.workflow = reload(bundle, old)
    assert json.dumps(old) == text  # the stored state itself is left as it was
    assert flow.ready_names() == ["assist_opinion", "assist_opinion", "consultation"]
    flow.do("assist_opinion", {"opinion_text": "意见", "contact_person": "张"}, assist_unit="jw")
    flow.do("assist_opinion", {"opinion_text": "意见", "contact_person": "李"}, assist_unit="kw")
    flow.do("consultation", {**CONTACT, "more_contacts": False})
    assert flow.ready_names() == ["reply_draft"]  # the handling goes on once the opinions are in
    upgraded = state.dump(flow.workflow)
    assert upgraded["spiff_serializer"] == state.SPIFF_SERIALIZER_VERSION  # stored again in today's format


def test_a_state_stored_by_a_newer_spiff_serializer_is_refused(bundle):
    stored = state.dump(joint_handling(bundle).workflow)
    stored["spiff_serializer"] = "99.0"
    with pytest.raises(ValueError, match="newer than the installed"):
        reload(bundle, stored)
