"""Which open task a person may complete, claim, release or be given (engine/services/cases.py
`complete_task`, engine/services/claims.py, the rules of engine/rules/permissions.py): each
answered from the open-task row and the accounts, on a fake unit of work
(tests/services/fake_uow.py) — the database adds nothing to these rules."""
import pytest
from fake_uow import FakeUnitOfWork
from rows import TASK_ID, completed, open_task, proposal, user

from engine.model.errors import Conflict, InvalidForm, NotFound
from engine.model.tables import Event
from engine.services import cases, claims

CLERK = user("fgw_clerk", "unit_clerk", "fgw", name="发改委经办人")
COLLEAGUE = user("fgw_clerk2", "unit_clerk", "fgw", name="发改委经办人二")
COMMITTEE = user("tw_li", "committee", name="提案委李")
CONTACT = {"contact_date": "2026-11-01", "contact_way": "phone", "contact_people": "张科长",
           "contact_content": "电话沟通", "proposer_view": "赞同", "more_contacts": False}


def complete(uow, runtime, who, task_id=TASK_ID):
    return cases.complete_task(uow, runtime, who, task_id, CONTACT)


@pytest.mark.parametrize("task_id", [TASK_ID, "x" * 37, None])
def test_a_task_that_does_not_exist_is_not_found(runtime, task_id):
    uow = FakeUnitOfWork(CLERK, proposal())
    with pytest.raises(NotFound, match="找不到该任务"):
        complete(uow, runtime, CLERK, task_id)
    assert uow.committed == 0


def test_a_task_already_done_says_who_did_it_and_when(runtime):
    uow = FakeUnitOfWork(COMMITTEE, proposal(), completed(by="fgw_clerk"))
    with pytest.raises(Conflict) as raised:
        complete(uow, runtime, COMMITTEE)
    assert raised.value.message == "该任务已经办理完成，不能重复提交"
    assert raised.value.details == {"completed_by": "发改委经办人", "completed_at": "2026-11-03T02:00:00+00:00"}


@pytest.mark.parametrize("task", [open_task(role="unit_head"), open_task(unit_id="jw"), open_task(assignee="fgw_clerk2")],
                         ids=["another role", "another unit", "named for a colleague"])
def test_a_task_that_is_not_yours_is_not_found_as_if_none(runtime, task):
    uow = FakeUnitOfWork(CLERK, COLLEAGUE, proposal(), task)
    with pytest.raises(NotFound, match="找不到该任务"):
        complete(uow, runtime, CLERK)
    assert uow.committed == 0


def test_a_task_a_colleague_claimed_is_completed_by_the_claimer_only(runtime):
    uow = FakeUnitOfWork(CLERK, COLLEAGUE, proposal(), open_task(claimed_by="fgw_clerk2"))
    with pytest.raises(Conflict, match="该任务已由发改委经办人二认领，只有认领人可以办理"):
        complete(uow, runtime, CLERK)
    assert uow.committed == 0


def test_claiming_marks_the_task_logs_it_and_commits():
    task = open_task()
    uow = FakeUnitOfWork(CLERK, proposal(), task)
    assert claims.claim(uow, CLERK, TASK_ID) is task
    assert task.claimed_by == "fgw_clerk" and task.claimed_at is not None and uow.committed == 1
    [event] = uow.rows(Event)
    assert (event.kind, event.actor, event.unit_id, event.data) == (
        "task_claim", "fgw_clerk", "fgw", {"task": "consultation", "claimed_by": "fgw_clerk"})
    assert event.title == "认领“征询意见”"


def test_claiming_again_changes_nothing():
    uow = FakeUnitOfWork(CLERK, proposal(), open_task(claimed_by="fgw_clerk"))
    claims.claim(uow, CLERK, TASK_ID)
    assert uow.committed == 0 and uow.rows(Event) == []


def test_a_task_named_for_its_doer_is_not_claimed():
    uow = FakeUnitOfWork(CLERK, proposal(), open_task(assignee="fgw_clerk"))
    with pytest.raises(Conflict, match="该任务已指定办理人，无需认领"):
        claims.claim(uow, CLERK, TASK_ID)


def test_a_task_a_colleague_has_is_not_claimed_from_him():
    task = open_task(claimed_by="fgw_clerk2")
    uow = FakeUnitOfWork(CLERK, COLLEAGUE, proposal(), task)
    with pytest.raises(Conflict, match="该任务已由发改委经办人二认领"):
        claims.claim(uow, CLERK, TASK_ID)
    assert task.claimed_by == "fgw_clerk2" and uow.committed == 0


def test_only_the_claimer_releases():
    uow = FakeUnitOfWork(CLERK, COLLEAGUE, proposal(), open_task(claimed_by="fgw_clerk2"))
    with pytest.raises(Conflict, match="只有认领人可以释放"):
        claims.release(uow, CLERK, TASK_ID)


def test_releasing_logs_and_gives_the_task_back_to_the_pool():
    task = open_task(claimed_by="fgw_clerk")
    uow = FakeUnitOfWork(CLERK, proposal(), task)
    claims.release(uow, CLERK, TASK_ID)
    assert (task.claimed_by, task.claimed_at, uow.committed) == (None, None, 1)
    assert [e.title for e in uow.rows(Event)] == ["释放“征询意见”"]


def test_releasing_a_task_nobody_claimed_changes_nothing():
    uow = FakeUnitOfWork(CLERK, proposal(), open_task())
    claims.release(uow, CLERK, TASK_ID)
    assert uow.committed == 0 and uow.rows(Event) == []


def test_only_the_committee_reassigns_and_anyone_else_is_told_there_is_no_such_task(runtime):
    uow = FakeUnitOfWork(CLERK, COLLEAGUE, proposal(), open_task())
    with pytest.raises(NotFound, match="找不到该任务"):
        claims.assign(uow, runtime, CLERK, TASK_ID, "fgw_clerk2")


@pytest.mark.parametrize(("target", "message"), [
    (user("fgw_clerk2", "unit_clerk", "fgw", active=False), "改派给：找不到该用户或已停用"),
    (user("jw_clerk", "unit_clerk", "jw"), "改派给：应为该任务所属单位、角色的人员"),
    (user("fgw_head", "unit_head", "fgw"), "改派给：应为该任务所属单位、角色的人员"),
], ids=["disabled", "another unit", "another role"])
def test_a_task_is_reassigned_only_to_someone_who_may_do_it(runtime, target, message):
    task = open_task()
    uow = FakeUnitOfWork(COMMITTEE, target, proposal(), task)
    with pytest.raises(InvalidForm) as raised:
        claims.assign(uow, runtime, COMMITTEE, TASK_ID, target.username)
    assert raised.value.errors == [{"field": "username", "message": message}]
    assert task.claimed_by is None and uow.committed == 0


def test_a_task_named_for_its_doer_is_not_reassigned(runtime):
    uow = FakeUnitOfWork(COMMITTEE, COLLEAGUE, proposal(), open_task(assignee="fgw_clerk"))
    with pytest.raises(Conflict, match="该任务已指定办理人，不能改派"):
        claims.assign(uow, runtime, COMMITTEE, TASK_ID, "fgw_clerk2")
