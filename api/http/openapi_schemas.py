"""The schemas (components) of the OpenAPI document (api/http/openapi.py) and the helpers
the document is written with."""
import json

from engine.model import limits
from engine.model.settings import PROJECT_ROOT


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
             409: "Conflict", 413: "PayloadTooLarge", 422: "InvalidForm", 429: "TooManyRequests",
             500: "InternalError", 503: "Unavailable"}
    # any request may be refused as malformed (400: an unknown query parameter, a NUL character...)
    # and any may meet a database that cannot be reached just now (503)
    return {str(c): {"$ref": f"#/components/responses/{names[c]}"} for c in sorted({*codes, 400, 500, 503})}


def _obj(properties, required=None, **extra):
    """An object schema; every property is required unless `required` lists them (required=[]: none)."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_NSTR, _NINT = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
_ID = {"type": "integer", "minimum": 1, "maximum": limits.MAX_ID}  # every id is a 32-bit integer column
_TIME = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}],
         "description": "YYYY-MM-DD，1900-01-01 至 2999-12-31；空值表示不限"}
_FLAG = {"type": "string", "enum": ["true", "false", "1", "0", ""], "description": "true 或 1 为是，false 或 0 为否，空值表示不限"}
_NO_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}}
_PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": limits.MAX_PAGE, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]


def _query(name, description, schema=_STR):
    return {"name": name, "in": "query", "description": description, "schema": schema}


def _form(name: str, description: str) -> dict:
    """The JSON Schema of forms/<name>.json as a request body: region lists (`urn:cppcc:region:*`)
    become text, checked against the region's lists by the form validation (422)."""
    schema = json.loads((PROJECT_ROOT / "forms" / f"{name}.json").read_text(encoding="utf-8"))

    def walk(node):
        if isinstance(node, dict):
            if str(node.get("$ref", "")).startswith("urn:cppcc:region:"):
                rest = {k: walk(v) for k, v in node.items() if k != "$ref"}
                return {"type": "string", **rest, "description": "地区配置的列表之一，否则 422"}
            return {k: walk(v) for k, v in node.items() if k not in ("$schema", "$id")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return {**walk(schema), "description": description}


def _page_of(item):
    return _obj({"items": {"type": "array", "items": _ref(item)}, "total": _INT, "page": _INT, "per_page": _INT})


SCHEMAS = {
    "Version": _obj({"hash": _STR, "label": {"type": "string", "description": "如 第 3 版（2026-11-02 部署）"},
                     "created_at": _TIME, "current": _BOOL,
                     "files": {"type": "array", "items": _STR},
                     "deployments": {"type": "array", "items": _obj({
                         "at": _TIME, "by": _NSTR, "by_name": _NSTR, "note": _STR,
                         "source": {"type": "string", "enum": ["files", "cli", "api", "browser"]}})},
                     "cases": _obj({"running": _INT, "completed": _INT})}),
    "FileChanges": {"type": "object", "additionalProperties": {"type": "string", "enum": ["added", "removed", "changed"]}},
    "DefinitionChange": _obj({
        "files": {"type": "object", "additionalProperties": _STR,
                  "description": "文件名（如 handling.bpmn）→ 完整 XML；替换或新增，其余文件沿用当前版本"},
        "removed": {"type": "array", "items": _STR, "description": "要删除的文件名"},
        "note": {"type": "string", "description": "版本说明"},
        "base": {"type": "string", "description": "修改时所依据的版本号；其间他人已修改并部署了同一文件则 409"}},
        required=[], additionalProperties=False, description="files 和 removed 至少给出一项，否则 400"),
    "NotDeployed": _obj({"hash": _STR, "deployed": {"const": False}, "changes": {"type": "object", "maxProperties": 0},
                         "message": _STR}),
    "Deployed": _obj({"hash": _STR, "created": _BOOL, "changes": {"$ref": "#/components/schemas/FileChanges"},
                      "deployment_id": _INT}),
    "DefinitionProblems": _obj({"error": _obj({
        "status": _INT, "message": _STR,
        "problems": {"type": "array", "items": _obj({"file": _STR, "element": _NSTR, "message": _STR})}})}),
    "CaseCheck": _obj({"case_id": _INT, "proposal_id": _INT, "number": _NSTR, "title": _STR,
                       "process": _STR, "from_version": _STR, "to_version": _STR, "movable": _BOOL,
                       "reasons": {"type": "array", "items": _STR},
                       "changed": {"type": "array", "items": _STR, "description": "案件所含、定义有改动的任务 id"}}),
    "FieldError": _obj({"field": {"type": "string", "description": "字段路径，如 review_reason 或 a/b"},
                        "message": _STR}),
    "Error": _obj({"error": _obj({
        "status": _INT,
        "message": {"type": "string", "description": "给用户看的中文说明"},
        "errors": {"type": "array", "items": _ref("FieldError"), "description": "逐字段的错误（400、422）"},
    }, required=["status", "message"], additionalProperties=True,
        description="其他键为细节，如 409 的 completed_by、completed_at、current_version")}),
    "User": _obj({"username": _STR, "name": _STR, "unit_id": _NSTR, "unit_name": _NSTR,
                  "roles": {"type": "array", "items": {"type": "string", "enum": [
                      "proposer", "committee", "gov_office", "supervisor", "deputy_head", "unit_clerk",
                      "unit_head", "designer"]}}}),
    "LoginRequest": _obj({"username": {"type": "string", "minLength": 1},
                          "password": {"type": "string", "minLength": 1}}, additionalProperties=False),
    "LoginResponse": _obj({"token": _STR, "user": _ref("User")}),
    "ProposalSubmission": _form("submission", "forms/submission.json：联名委员须是其他委员的账号，类别须是地区配置的列表之一，否则 422"),
    "ExtensionRequest": _form("extension_request",
                              "forms/extension_request.json；日期须晚于当前期限、不晚于最长期限，否则 422"),
    "ProposalSummary": _obj({
        "id": _INT, "number": _NSTR, "title": _STR, "category": _NSTR, "category_label": _NSTR,
        "proposer": _STR, "proposer_name": _NSTR, "status": _STR, "status_label": _STR, "is_key": _BOOL, "supervising_leader": _NSTR,
        "lead_unit": _NSTR, "lead_unit_name": _NSTR, "reply_class": _NSTR, "satisfaction": _NSTR,
        "submitted_at": _TIME, "updated_at": _TIME}),
    "ProposalPage": {"allOf": [_page_of("ProposalSummary"), _obj({"total_capped": {
        "type": "boolean", "description": "true：匹配的提案多于所数的上限（1000 条，或到所请求页末的条数），"
                                          "total 为该上限，应显示为“1,000+ 条”；false：total 为准确条数"}})]},
    "Person": _obj({"username": _STR, "name": _NSTR, "role": {"type": "string", "enum": ["proposer", "cosigner"]}}),
    "ProposalUnit": _obj({"unit_id": _STR, "unit_name": _NSTR,
                          "role": {"type": "string", "enum": ["lead", "assist", "returned"]},
                          "reply_class": _NSTR, "satisfaction": _NSTR}),
    "TimelineEvent": _obj({"at": _TIME,
                           "kind": {"type": "string", "description": "submitted、task_completed、status_changed"},
                           "title": _STR, "actor": _NSTR, "actor_name": _NSTR, "unit_id": _NSTR, "unit_name": _NSTR,
                           "task_id": _NSTR, "task_name": _NSTR, "data": {"type": ["object", "null"]}}),
    "OpenTaskRef": _obj({"id": _STR, "name": _STR, "title": _STR, "unit_id": _NSTR, "unit_name": _NSTR, "role": _STR,
                         "assignee": _NSTR, "who": {"type": "string", "description": "谁办理：本人姓名，或单位及角色"},
                         "due_at": {**_TIME, "type": ["string", "null"]}, "overdue": _BOOL,
                         "mine": {"type": "boolean", "description": "当前用户可否办理"}}),
    "ProposalDetail": {"allOf": [_ref("ProposalSummary"), _obj({
        "body": _STR, "suggestions": _STR,
        "people": {"type": "array", "items": _ref("Person")},
        "units": {"type": "array", "items": _ref("ProposalUnit")},
        "timeline": {"type": "array", "items": _ref("TimelineEvent"),
                     "description": "当前用户可以看到的办理步骤（提案者和联名人看不到草稿、审批意见等内部步骤）"},
        "open_tasks": {"type": "array", "items": _ref("OpenTaskRef")},
        "ratings": {"type": "array", "items": _ref("Rating"), "description": "各评价人对各单位的评价，按轮次"},
        "may_upload": {"type": "boolean", "description": "当前用户能否为该提案上传附件"}})]},
    "Rating": _obj({"unit_id": _STR, "unit_name": _NSTR, "reply_unit": _NSTR, "rater": _STR, "rater_name": _NSTR,
                    "satisfaction": _STR, "round": _INT, "rated_at": _TIME,
                    "entered_by": {"type": ["string", "null"], "description": "代录：录入纸质评价的提案委工作人员；空为委员本人在线评价"},
                    "entered_by_name": _NSTR,
                    "evidence_id": {"type": ["integer", "null"], "description": "代录所附委员签字扫描件（附件 id）"}}),
    "TaskItem": _obj({"id": {"type": "string", "format": "uuid"}, "name": _STR, "title": _STR, "form": _STR,
                      "stage": _NSTR, "stage_label": _NSTR, "proposal_id": _INT, "proposal_title": _STR,
                      "proposal_number": _NSTR, "unit_id": _NSTR, "unit_name": _NSTR, "role": _STR,
                      "assignee": _NSTR, "created_at": _TIME, "due_at": {**_TIME, "type": ["string", "null"]},
                      "overdue": {"type": "boolean"},
                      "claimed_by": {"type": ["string", "null"], "description": "认领人用户名（未认领为 null）"},
                      "claimed_by_name": _NSTR}),
    "TaskPage": {"allOf": [_page_of("TaskItem"), _obj({"counts": {
        "type": "object", "additionalProperties": _INT, "description": "每种任务的数量（不受 name 筛选影响）"}})]},
    "TaskDetail": {"allOf": [_ref("TaskItem"), _obj({
        "schema": {"type": "object", "description": "任务表单的 JSON Schema（已展开地区列表）"},
        "data": {"type": "object", "description": "表单字段的当前值（预填）"},
        "context": {"type": "object", "description": "任务的流程数据中当前用户可以看到的部分：提案信息、已有意见等"},
        "proposal": _ref("ProposalSummary"),
        "case_version": {"type": "integer", "description": "提交时作为 version 传回，防止覆盖他人的更新"}})]},
    "CompleteRequest": _obj({"data": {"type": "object", "description": "表单数据，按任务的 schema"},
                             "version": {"type": "integer", "description": "读取任务时的 case_version（可选）"}},
                            required=["data"], additionalProperties=False),
    "CompleteResult": _obj({"proposal_id": _INT, "version": _INT, "status": _STR, "next": _obj({
        "status": _STR, "status_label": _STR, "tasks": {"type": "array", "items": _ref("OpenTaskRef")}},
        description="下一步：提案的状态和待办（谁办理、期限）")}),
    "AttachmentUpload": _obj({
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "文件；文件名保留原名（可含中文），扩展名须为允许的类型"
                                "（pdf、doc、docx、xls、xlsx、ppt、pptx、wps、txt、jpg、jpeg、png、zip），"
                                "不能为空，最大 20 MB（可配置）"},
        "task_id": {"type": "string", "format": "uuid", "description": "为哪个待办上传（须是本人可办理的本提案待办）"},
        "field": {"type": "string", "maxLength": 80, "description": "对应的表单字段"},
    }, required=["file"]),
    "Attachment": _obj({
        "id": _INT, "filename": {"type": "string", "description": "原文件名"}, "content_type": _STR,
        "size": {"type": "integer", "description": "字节数"}, "uploaded_by": _STR, "uploaded_at": _TIME,
        "task_id": _NSTR, "field": _NSTR, "url": {"type": "string", "description": "下载地址"}}),
    "AttachmentList": _obj({"items": {"type": "array", "items": _ref("Attachment")}}),
    "Notification": _obj({
        "id": _INT,
        "kind": {"type": "string", "description": "task、assigned、reminder、overdue、rate_request、extension 等"},
        "title": _STR, "body": _STR, "proposal_id": _NINT, "task_id": _NSTR, "created_at": _TIME,
        "read_at": {"type": ["string", "null"], "format": "date-time"}, "read": _BOOL}),
    "NotificationPage": {"allOf": [_page_of("Notification"), _obj({"unread": {
        "type": "integer", "description": "未读站内消息总数"}})]},
    "MarkReadRequest": _obj({"ids": {"type": "array", "items": _ID, "maxItems": 1000,
                                     "description": "要标为已读的消息 ID；省略则全部标为已读"}},
                            required=[], additionalProperties=False),
    "MarkReadResult": _obj({"marked": {"type": "integer", "description": "本次标为已读的条数"},
                            "unread": {"type": "integer", "description": "剩余未读条数"}}),
    "SampleRequest": _obj({
        "rate_percent": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 100,
                         "description": "抽查比例（百分比）；不填为地区配置的 supervision.sample_rate_percent"},
        "seed": {"type": ["string", "null"], "maxLength": 80, "description": "随机种子；不填则随机生成，可凭种子复核"},
        "label": {"type": ["string", "null"], "maxLength": 200, "description": "名称；不填为“<日期> 随机抽查”"},
    }, required=[], additionalProperties=False),
    "SampleSummary": _obj({
        "id": _INT, "label": _STR, "drawn_at": _TIME, "drawn_by": _STR, "drawn_by_name": _NSTR,
        "rate_percent": {"type": "number"}, "seed": _STR,
        "population_size": {"type": "integer", "description": "抽取时已交办（有主办单位）的提案数"},
        "selected_count": {"type": "integer", "description": "抽中数 = ceil(总数 × 比例 / 100)，至少 1"}}),
    "SampleList": _obj({"items": {"type": "array", "items": _ref("SampleSummary")}}),
    "SampledProposal": _obj({
        "id": _INT, "number": _NSTR, "title": _STR, "status": _NSTR, "is_key": _BOOL,
        "lead_units": {"type": "array", "items": _obj({"unit_id": _STR, "unit_name": _STR})},
        "lead_unit_name": {"type": ["string", "null"], "description": "主办单位名称，多个以“、”分隔"}}),
    "SampleDetail": {"allOf": [_ref("SampleSummary"), _obj({
        "selected": {"type": "array", "items": _ref("SampledProposal"), "description": "抽中的提案，按 ID 升序"},
        "verified": {"type": "boolean",
                     "description": "用保存的提案集合、比例和种子重新抽取，结果与保存的一致"}})]},
    "OverdueUnitRow": _obj({
        "unit_id": _NSTR, "holder_role": _NSTR, "holder": _NSTR,
        "unit_name": {"type": "string", "description": "迟延的单位，或办理该步骤的机关（政府办、督查室）或领导的名称"},
        "counts": {"type": "object", "additionalProperties": _INT, "description": "按超期事项代码计数"},
        "unresolved": {"type": "object", "additionalProperties": _INT, "description": "其中尚未纠正的，按事项"},
        "total": _INT, "unresolved_total": _INT}),
    "OverdueItem": _obj({
        "id": _INT, "proposal_id": _INT, "proposal_number": _NSTR, "proposal_title": _STR,
        "unit_id": _NSTR, "holder_role": {"type": ["string", "null"], "description": "无单位时办理该步骤的角色"},
        "holder": {"type": ["string", "null"], "description": "无单位时办理该步骤的人（如分管副职）的用户名"},
        "unit_name": _STR, "lead_unit": {"type": ["string", "null"], "description": "答复所属的主办单位"},
        "kind": {"type": "string", "description": "accept、first_contact、opinion、reply、feedback 或其他代码"},
        "kind_label": _STR, "due_at": _TIME, "detected_at": _TIME,
        "resolved_at": {"type": ["string", "null"], "format": "date-time"}}),
    "OverdueReport": _obj({
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "kinds": {"type": "array", "items": _obj({"code": _STR, "label": _STR})},
        "units": {"type": "array", "items": _ref("OverdueUnitRow"), "description": "按合计降序"},
        "totals": _obj({"counts": {"type": "object", "additionalProperties": _INT},
                        "unresolved": {"type": "object", "additionalProperties": _INT},
                        "total": _INT, "unresolved_total": _INT}),
        "items": {"type": "array", "items": _ref("OverdueItem"),
                  "description": "明细的一页（第 page 页，每页 per_page 起），按发现时间；共 totals.total 起"},
        "page": _INT, "per_page": _INT}),
    "Incident": _obj({
        "id": _INT, "proposal_id": _INT, "number": _NSTR, "title": _STR,
        "status": {"type": "string", "description": "提案当前阶段代码"},
        "last_step": {"type": "string", "description": "使案件停滞的最后一步"},
        "last_actor": {"type": ["string", "null"], "description": "最后一步的办理人账号；系统步骤为 null"},
        "detected_at": _TIME, "resolved_at": {"type": ["string", "null"], "format": "date-time"},
        "resolution": {"type": ["string", "null"], "description": "如何恢复的"}}),
}

_ERROR_RESPONSES = {
    "BadRequest": "请求无效：不是 JSON 或嵌套过深、缺少字段、分页参数错误、不支持或重复的查询参数、含空字符等",
    "Unauthorized": "未登录或登录凭证无效",
    "Forbidden": "没有权限",
    "NotFound": "不存在，或无权查看（不属于自己的待办也是如此）",
    "Conflict": "任务已办理，或案件已被他人更新",
    "PayloadTooLarge": "请求内容过大（上传附件、流程文件以外的请求最多 2 MB）",
    "InvalidForm": "表单有错误，errors 逐项列出",
    "TooManyRequests": "登录失败次数过多：该账号或该地址暂时不能登录，Retry-After 给出秒数",
    "InternalError": "服务器内部错误（详情只记录在日志中）",
    "Unavailable": "数据库暂时无法访问（未启动、拒绝连接、无响应或锁等待超时），Retry-After 秒后重试",
}
