"""Definition checks report every problem with its file and element id."""
import re
from pathlib import Path

import pytest

from engine.definitions.bundle import build_bundle, read_files
from engine.model.errors import DefinitionError

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FORMS = {p.stem for p in (PROCESSES.parent / "forms").glob("*.json")}


@pytest.fixture
def files():
    return read_files(PROCESSES)


def problems(files):
    with pytest.raises(DefinitionError) as caught:
        build_bundle(files, FORMS)
    return caught.value.problems


def test_shipped_definitions_are_valid(files):
    bundle = build_bundle(files, FORMS)
    assert {"review", "assign", "accept", "reply_draft", "rate_reply", "progress_report"} <= set(bundle.user_tasks)
    assert all(meta.form in FORMS for meta in bundle.user_tasks.values())


def test_every_user_task_has_a_due_date(files):
    bundle = build_bundle(files, FORMS)
    assert [name for name, meta in bundle.user_tasks.items() if not meta.due] == []


def test_every_multi_instance_step_is_connected_to_its_parent(files):
    """A freshly built bundle already tells each loop task when an instance finished
    (SpiffWorkflow itself only connects it when it creates an instance)."""
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
    bundle = build_bundle(files, FORMS)
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    for side, subs in bundle.side_specs.values():
        specs += [side, *subs.values()]
    loops = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, LoopTask):
                child = spec.task_specs[task_spec.task_spec]
                loops[task_spec.bpmn_id] = child.completed_event.is_connected(task_spec.merge_child)
    assert loops == {name: True for name in
                     ("cosigner_confirm", "handle", "assist_opinion", "cosign_reply", "rate_reply")}


def test_same_content_same_hash(files):
    assert build_bundle(files, FORMS).hash == build_bundle(dict(files), FORMS).hash
    changed = {**files, "follow_up.dmn": files["follow_up.dmn"].replace('"B"', '"C"')}
    assert build_bundle(changed, FORMS).hash != build_bundle(files, FORMS).hash


def test_every_problem_is_named_with_file_and_element(files):
    bad = files["handling.bpmn"]
    bad = re.sub(r'(<bpmn:userTask id="plan_approve".*?)<spiffworkflow:property name="role" value="unit_head"\s*/>',
                 r"\1", bad, count=1, flags=re.S)
    bad = re.sub(r'(<bpmn:userTask id="accept".*?)name="form" value="accept"', r'\1name="form" value="no_such_form"',
                 bad, count=1, flags=re.S)
    bad = re.sub(r"<bpmn:conditionExpression>accept_decision == 'return'[^<]*</bpmn:conditionExpression>",
                 "<bpmn:conditionExpression>__import__('os').system('id')</bpmn:conditionExpression>", bad, count=1)
    bad = bad.replace("report_count = report_count + 1", "import os")
    found = problems({**files, "handling.bpmn": bad})
    where = {(p["file"], p["element"]) for p in found}
    assert ("processes/handling.bpmn", "plan_approve") in where  # role missing
    assert ("processes/handling.bpmn", "accept") in where  # form does not exist
    assert ("processes/handling.bpmn", "f_returned") in where  # forbidden condition
    assert ("processes/handling.bpmn", "count_report") in where  # forbidden script
    assert len(found) >= 4


def test_dmn_cell_is_checked(files):
    bad = files["approval_chain.dmn"].replace("<text>True</text>", "<text>__import__('os')</text>", 1)
    found = problems({**files, "approval_chain.dmn": bad})
    assert found[0]["file"] == "processes/approval_chain.dmn"
    assert found[0]["element"].startswith("approval_chain_r")


def test_broken_xml_and_schema_errors(files):
    found = problems({**files, "proposal.bpmn": files["proposal.bpmn"][:500]})
    assert found[0]["file"] == "processes/proposal.bpmn" and "XML" in found[0]["message"]
    bad = re.sub(r"<spiffworkflow:parameters\s*/>", "", files["proposal.bpmn"], count=1)
    found = problems({**files, "proposal.bpmn": bad})
    assert "serviceTaskOperator" in found[0]["message"]


def test_missing_called_process(files):
    found = problems({k: v for k, v in files.items() if k != "handling.bpmn"})
    assert any("handling" in p["message"] for p in found)


def test_bad_index_property(files):
    bad = files["proposal.bpmn"].replace('value="category=category; session=review_session"', 'value="secret=category"')
    found = problems({**files, "proposal.bpmn": bad})
    assert found[0]["element"] == "review" and "index" in found[0]["message"]


def test_every_user_task_says_who_sees_it(files):
    """Who sees each step is the diagram's `audience` property, one of permissions.AUDIENCES."""
    from engine.rules.permissions import AUDIENCES
    bundle = build_bundle(files, FORMS)
    assert [name for name in bundle.user_tasks if name not in bundle.audiences] == []
    assert set(bundle.audiences.values()) <= set(AUDIENCES)
    assert bundle.audiences["send_reply"] == "public" and bundle.audiences["reply_draft"] == "handling"


def test_unknown_audience_is_refused_with_its_element(files):
    text = files["handling.bpmn"].replace('name="audience" value="lead"', 'name="audience" value="everyone"', 1)
    found = problems({**files, "handling.bpmn": text})
    assert any(p["element"] == "gov_review" and "audience" in p["message"] and "everyone" in p["message"]
               for p in found), found
