"""Which roles may use which parts of the system (submitting, supervision, stalled cases,
versions, extension requests, statistics and assessment): the role-only checks of engine/rules/permissions.py, which
re-exports them, so access is still decided in one place.

May import: `engine.model`.
"""
from engine.model.errors import Forbidden
from engine.model.tables import ProposalUnit, User

UNIT_ROLES = {"unit_clerk", "unit_head"}
# process designers read every proposal (to follow the cases on a version) but have no tasks
SEE_ALL_ROLES = {"committee", "gov_office", "supervisor", "deputy_head", "designer"}
SUPERVISION_ROLES = frozenset({"committee", "gov_office", "supervisor"})  # samples and overdue reports
DESIGNER = "designer"  # the role that edits, deploys and migrates
VERSION_READERS = {DESIGNER, "committee"}  # may see the versions and which cases run on each


def may_see_incidents(user: User) -> bool:
    """Whether `user` may list the stalled cases (异常案件): the committee, which runs the handling."""
    return "committee" in user.role_set


def may_submit(user: User) -> bool:
    """Whether `user` may write and submit proposals (a proposer, 委员)."""
    return "proposer" in user.role_set


def check_submitter(user: User) -> None:
    """Forbidden unless `user` may submit proposals."""
    if not may_submit(user):
        raise Forbidden("只有提案者可以提交提案")


def may_supervise(user: User) -> bool:
    """Whether `user` may draw supervision samples and read the overdue reports."""
    return bool(user.role_set & SUPERVISION_ROLES)


def check_supervisor(user: User) -> None:
    """Forbidden unless `user` is committee, government office or supervision office staff."""
    if not may_supervise(user):
        raise Forbidden("只有提案委、政府办和督查室可以进行督办抽查和查看超期情况报告")


def may_design(user: User) -> bool:
    """Whether `user` may edit and deploy process versions and migrate cases (a process designer)."""
    return DESIGNER in user.role_set


def may_read_versions(user: User) -> bool:
    """Whether `user` may see the process versions and which cases run on each."""
    return bool(user.role_set & VERSION_READERS)


def check_designer(user: User, read_only: bool = False) -> None:
    """Forbidden unless `user` is a process designer (or, to read, the committee)."""
    if not (may_read_versions(user) if read_only else may_design(user)):
        raise Forbidden("只有流程设计员和提案委可以查看流程版本" if read_only else "只有流程设计员可以部署流程版本和迁移案件")


def check_extension_requester(user: User, part: ProposalUnit | None) -> ProposalUnit:
    """Forbidden unless `user` is staff of the lead unit (`part`: the user's unit's part in the
    proposal); returns that part."""
    if part is None or part.role != "lead" or not user.role_set & UNIT_ROLES:
        raise Forbidden("只有主办单位可以申请延期答复")
    return part

# The committee's year: statistics (统计分析), unit assessment (承办单位考核), the annual report

STATISTICS_ALL_ROLES = frozenset({"committee", "gov_office", "supervisor", "deputy_head"})


def statistics_scope(user: User) -> str | None:
    """Whose figures `user` may see: None for every unit (the committee, the government
    office, the supervision office, leaders), or the unit of a unit head (their own only).
    Anyone else is refused."""
    if user.role_set & STATISTICS_ALL_ROLES:
        return None
    if "unit_head" in user.role_set and user.unit_id:
        return user.unit_id
    raise Forbidden("只有提案委、政府办、督查室、领导和承办单位负责人可以查看统计分析和考核结果")


def may_assess(user: User) -> bool:
    """Whether `user` enters the assessment's manual items and freezes the scores: the government office."""
    return "gov_office" in user.role_set


def check_may_assess(user: User) -> None:
    """Raise Forbidden unless `user` may enter manual items and freeze the scores."""
    if not may_assess(user):
        raise Forbidden("只有政府办可以填写考核手工项和锁定考核结果")


def may_make_report(user: User) -> bool:
    """Whether `user` may produce the annual report (all units' figures): as statistics_scope is None."""
    return bool(user.role_set & STATISTICS_ALL_ROLES)
