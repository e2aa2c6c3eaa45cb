"""Who may deploy a changed definition (engine/services/deployment.py `deploy_change`): refused
before the current version is even read, on a fake unit of work (tests/services/fake_uow.py).
(A stale edit and an edit that changes nothing are told apart by the stored versions:
tests/web/test_designer_pages.py, on a database.)"""
import pytest
from fake_uow import FakeUnitOfWork
from rows import user

from engine.model.errors import Forbidden
from engine.services import deployment


@pytest.mark.parametrize("roles", ["committee", "unit_clerk", "proposer,committee"])
def test_only_a_process_designer_deploys(runtime, roles):
    who = user("someone", roles, "fgw" if "unit" in roles else None)
    uow = FakeUnitOfWork(who)
    with pytest.raises(Forbidden, match="只有流程设计员可以部署流程版本和迁移案件"):
        deployment.deploy_change(uow, runtime, who, {"proposal.bpmn": "<definitions/>"}, base="abc123")
    assert uow.committed == 0 and set(uow.session.rows) == {type(who)}
