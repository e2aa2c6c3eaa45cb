"""The role rules of engine/rules/permissions.py beyond tasks and proposals: who may supervise,
see stalled cases, design and deploy, read the versions, submit, assign, request an extension."""
from types import SimpleNamespace

import pytest

from engine.model.errors import Forbidden
from engine.rules import permissions

# role: the rules it passes
RULES = {
    "proposer": {"may_submit"},
    "committee": {"may_supervise", "may_see_incidents", "may_read_versions", "may_assign"},
    "gov_office": {"may_supervise"},
    "supervisor": {"may_supervise"},
    "deputy_head": set(),
    "unit_clerk": set(),
    "unit_head": set(),
    "designer": {"may_design", "may_read_versions"},
}
ALL = sorted({rule for rules in RULES.values() for rule in rules})


def person(*roles, unit_id=None):
    return SimpleNamespace(role_set=set(roles), username="someone", unit_id=unit_id)


@pytest.mark.parametrize("role", sorted(RULES))
def test_each_role_passes_exactly_its_rules(role):
    assert {rule for rule in ALL if getattr(permissions, rule)(person(role))} == RULES[role]


def test_the_checks_refuse_in_chinese():
    for check, message in ((permissions.check_supervisor, "只有提案委、政府办和督查室"),
                           (permissions.check_designer, "只有流程设计员可以部署"),
                           (permissions.check_submitter, "只有提案者可以提交提案")):
        with pytest.raises(Forbidden) as err:
            check(person("unit_clerk"))
        assert err.value.message.startswith(message)
    permissions.check_designer(person("committee"), read_only=True)
    with pytest.raises(Forbidden):
        permissions.check_designer(person("committee"))


def test_only_the_lead_units_staff_request_an_extension():
    lead, assist = SimpleNamespace(role="lead"), SimpleNamespace(role="assist")
    permissions.check_extension_requester(person("unit_clerk", unit_id="fgw"), lead)
    permissions.check_extension_requester(person("unit_head", unit_id="fgw"), lead)
    for user, part in ((person("unit_clerk", unit_id="jw"), assist), (person("committee"), lead),
                       (person("unit_clerk", unit_id="jtw"), None)):
        with pytest.raises(Forbidden, match="只有主办单位可以申请延期答复"):
            permissions.check_extension_requester(user, part)
