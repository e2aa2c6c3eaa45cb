"""Who may ask to extend a reply deadline, and when not (engine/services/extensions.py
`request_extension`): refused from the proposal's units and its pending requests, before the
case is read, on a fake unit of work (tests/services/fake_uow.py). (The dates asked for are
checked against the case's own deadlines: tests/engine and tests/api, on a database.)"""
import pytest
from fake_uow import FakeUnitOfWork
from rows import AT, part, proposal, user

from engine.model.errors import Conflict, Forbidden, InvalidForm, NotFound
from engine.model.tables import Case, DeadlineExtension, Event
from engine.services import extensions

ASK = {"requested_due": "2027-01-20", "reason": "需要跨部门协调，申请延期"}
LEAD = user("fgw_clerk", "unit_clerk", "fgw")


def refused(uow, runtime, who, error, data=ASK, proposal_id=1):
    with pytest.raises(error) as raised:
        extensions.request_extension(uow, runtime, who, proposal_id, data)
    assert uow.committed == 0 and not uow.session.rows[Event] and not uow.session.rows[Case]  # nothing even added
    return raised.value


def test_a_request_without_a_reason_is_refused_naming_the_field(runtime):
    err = refused(FakeUnitOfWork(LEAD, proposal(), part("fgw")), runtime, LEAD, InvalidForm,
                  data={"requested_due": "2027-01-20"})
    assert [e["field"] for e in err.errors] == ["reason"]


def test_a_proposal_that_does_not_exist_is_not_found(runtime):
    refused(FakeUnitOfWork(LEAD), runtime, LEAD, NotFound, proposal_id=99)


@pytest.mark.parametrize(("who", "parts"), [
    (user("jw_clerk", "unit_clerk", "jw"), [part("fgw"), part("jw", "assist")]),
    (user("jtw_clerk", "unit_clerk", "jtw"), [part("fgw")]),
    (user("tw_li", "committee"), [part("fgw")]),
], ids=["assisting unit", "unit with no part", "committee"])
def test_only_a_lead_unit_asks(runtime, who, parts):
    err = refused(FakeUnitOfWork(who, proposal(), *parts), runtime, who, Forbidden)
    assert err.message == "只有主办单位可以申请延期答复"


def test_a_lead_unit_that_has_replied_needs_no_extension(runtime):
    err = refused(FakeUnitOfWork(LEAD, proposal(), part("fgw", reply_class="B")), runtime, LEAD, Conflict)
    assert err.message == "本单位已经答复，无需延期"


def test_one_pending_request_per_unit(runtime):
    pending = DeadlineExtension(proposal_id=1, unit_id="fgw", kind="reply", reason="前一次", requested_due=AT,
                                status="pending", requested_by="fgw_clerk", requested_at=AT)
    uow = FakeUnitOfWork(LEAD, proposal(), part("fgw"), pending)
    err = refused(uow, runtime, LEAD, Conflict)
    assert err.message == "本单位已有待审批的延期申请" and uow.rows(DeadlineExtension) == [pending]
