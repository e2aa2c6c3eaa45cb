"""Submitting a proposal (engine/services/cases.py `submit_proposal`): who may, what the form
needs, and who may be invited to co-sign — refused before anything is written, so on a fake
unit of work (tests/services/fake_uow.py): the database adds nothing to these rules."""
import pytest
from fake_uow import FakeUnitOfWork
from rows import user

from engine.model.errors import Forbidden, InvalidForm
from engine.model.tables import Event, Proposal
from engine.services import cases

DATA = {"title": "关于加强停车管理的建议", "category": "urban", "body": "停车难问题日益突出。", "suggestions": "建设立体停车库"}
CHEN = user("wy_chen", "proposer", name="陈委员")


def refused(uow, runtime, who, data, error):
    with pytest.raises(error) as raised:
        cases.submit_proposal(uow, runtime, who, data)
    assert uow.committed == 0 and not uow.session.rows[Proposal] and not uow.session.rows[Event]  # nothing even added
    return raised.value


def fields(err: InvalidForm) -> dict:
    return {e["field"]: e["message"] for e in err.errors}


def test_only_a_proposer_submits(runtime):
    err = refused(FakeUnitOfWork(), runtime, user("fgw_clerk", "unit_clerk", "fgw"), DATA, Forbidden)
    assert err.message == "只有提案者可以提交提案"


def test_a_proposal_without_title_is_refused_naming_the_field(runtime):
    err = refused(FakeUnitOfWork(CHEN), runtime, CHEN, {**DATA, "title": ""}, InvalidForm)
    assert "title" in fields(err)


def test_a_category_the_region_does_not_have_is_refused(runtime):
    err = refused(FakeUnitOfWork(CHEN), runtime, CHEN, {**DATA, "category": "no-such-category"}, InvalidForm)
    assert "category" in fields(err)


def test_the_author_cannot_invite_himself(runtime):
    err = refused(FakeUnitOfWork(CHEN), runtime, CHEN, {**DATA, "cosigners": ["wy_chen"]}, InvalidForm)
    assert err.message == "不能邀请自己作为联名人" and fields(err) == {"cosigners": "联名人不能是提案者本人"}


def test_an_unknown_cosigner_is_named(runtime):
    uow = FakeUnitOfWork(CHEN, user("wy_lin", "proposer"))
    err = refused(uow, runtime, CHEN, {**DATA, "cosigners": ["wy_lin", "wy_nobody"]}, InvalidForm)
    assert fields(err) == {"cosigners": "找不到委员账号：wy_nobody"}


def test_a_disabled_member_cannot_co_sign(runtime):
    uow = FakeUnitOfWork(CHEN, user("wy_lin", "proposer", active=False))
    err = refused(uow, runtime, CHEN, {**DATA, "cosigners": ["wy_lin"]}, InvalidForm)
    assert fields(err) == {"cosigners": "找不到委员账号：wy_lin"}


def test_only_members_co_sign_not_staff(runtime):
    uow = FakeUnitOfWork(CHEN, user("tw_li", "committee"), user("fgw_clerk", "unit_clerk", "fgw"))
    err = refused(uow, runtime, CHEN, {**DATA, "cosigners": ["fgw_clerk", "tw_li"]}, InvalidForm)
    assert fields(err) == {"cosigners": "找不到委员账号：fgw_clerk, tw_li"}
