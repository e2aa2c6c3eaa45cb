"""The OpenAPI 3.1 document of the API, written by hand and served at /api/openapi.json.

tests/api/test_api_errors.py checks that every /api route of the app is
described here (and nothing else), so the document cannot drift.
"""
from flask import Blueprint, Flask, jsonify

from engine.model import limits

bp = Blueprint("openapi", __name__, url_prefix="/api")


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
        "note": {"type": "string", "description": "版本说明"}}, required=["files"]),
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
                          "password": {"type": "string", "minLength": 1}}),
    "LoginResponse": _obj({"token": _STR, "user": _ref("User")}),
    "ProposalSubmission": _obj({
        "title": {"type": "string", "minLength": 4, "maxLength": 200, "description": "案由"},
        "category": {"type": "string", "description": "类别代码（地区配置的列表之一，否则 422）"},
        "source": {"type": "string", "enum": ["plenary", "ordinary"], "default": "ordinary",
                   "description": "大会提案或平时提案"},
        "body": {"type": "string", "minLength": 10, "maxLength": 50000, "description": "情况和分析"},
        "suggestions": {"type": "string", "minLength": 1, "maxLength": 20000, "description": "具体建议"},
        "cosigners": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 80},
                      "uniqueItems": True, "maxItems": 50, "description": "联名委员的用户名（须是其他委员的账号，否则 422）"},
    }, required=["title", "category", "body", "suggestions"], additionalProperties=False,
        description="forms/submission.json"),
    "ProposalSummary": _obj({
        "id": _INT, "number": _NSTR, "title": _STR, "category": _NSTR, "category_label": _NSTR,
        "proposer": _STR, "proposer_name": _NSTR, "status": _STR, "status_label": _STR, "is_key": _BOOL, "supervising_leader": _NSTR,
        "lead_unit": _NSTR, "lead_unit_name": _NSTR, "reply_class": _NSTR, "satisfaction": _NSTR,
        "submitted_at": _TIME, "updated_at": _TIME}),
    "ProposalPage": _page_of("ProposalSummary"),
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
                    "satisfaction": _STR, "round": _INT, "rated_at": _TIME}),
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
                            required=["data"]),
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
                                     "description": "要标为已读的消息 ID；省略则全部标为已读"}}, required=[]),
    "MarkReadResult": _obj({"marked": {"type": "integer", "description": "本次标为已读的条数"},
                            "unread": {"type": "integer", "description": "剩余未读条数"}}),
    "SampleRequest": _obj({
        "rate_percent": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 100,
                         "description": "抽查比例（百分比）；不填为地区配置的 supervision.sample_rate_percent"},
        "seed": {"type": ["string", "null"], "maxLength": 80, "description": "随机种子；不填则随机生成，可凭种子复核"},
        "label": {"type": ["string", "null"], "maxLength": 200, "description": "名称；不填为“<日期> 随机抽查”"},
    }, required=[]),
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
        "items": {"type": "array", "items": _ref("OverdueItem"), "description": "明细，按发现时间"}}),
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

_PROPOSAL_ID = {"name": "proposal_id", "in": "path", "required": True, "schema": _ID}
_TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
_ATTACHMENT_ID = {"name": "attachment_id", "in": "path", "required": True, "schema": _ID}

PATHS = {
    "/api/auth/login": {"post": {
        "summary": "登录", "operationId": "login", "tags": ["auth"], "security": [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LoginRequest")}}},
        "description": "同一账号或同一地址在锁定时长内登录失败达到上限（默认账号 5 次、地址 20 次、15 分钟，"
                       "可配置）后，在锁定时长过去前一律 429。令牌有效期默认 8 小时。",
        "responses": {"200": _json(_ref("LoginResponse"), "令牌和用户"), **_errors(400, 401, 429)}}},
    "/api/auth/logout": {"post": {
        "summary": "退出登录：作废所出示的令牌", "operationId": "logout", "tags": ["auth"],
        "description": "此后该令牌一律 401；同一用户的其他令牌不受影响。",
        "requestBody": _NO_BODY,
        "responses": {"204": {"description": "已退出，令牌已作废"}, **_errors(401)}}},
    "/api/me": {"get": {
        "summary": "当前用户", "operationId": "me", "tags": ["auth"],
        "responses": {"200": _json(_ref("User"), "当前用户"), **_errors(401)}}},
    "/api/proposals": {
        "post": {
            "summary": "提交提案", "operationId": "submitProposal", "tags": ["proposals"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ProposalSubmission")}}},
            "responses": {"201": _json(_ref("ProposalSummary"), "新提案"), **_errors(400, 401, 403, 422)}},
        "get": {
            "summary": "查询提案（仅限可见的）", "operationId": "listProposals", "tags": ["proposals"],
            "parameters": [
                _query("q", "案由或案号包含"), _query("status", "状态代码"), _query("category", "类别代码"),
                _query("unit", "承办单位（主办、协办或退回）"), _query("reply_class", "答复类别"),
                _query("satisfaction", "满意度"), _query("is_key", "重点提案", _FLAG),
                _query("leader", "督办领导（用户名）"),
                _query("person", "提案者或联名人：姓名（如 陈委员）或用户名，包含即可"),
                _query("submitted_from", "提交日期起（北京时间，含当天）", _DATE),
                _query("submitted_to", "提交日期止（北京时间，含当天），不早于 submitted_from", _DATE),
                _query("overdue", "超期：true 为有未纠正的超期记录或有已过期限的待办，false 为都没有", _FLAG),
                *_PAGE_PARAMS],
            "responses": {"200": _json(_ref("ProposalPage"), "一页提案，最新的在前"),
                          **_errors(400, 401)},
            "description": "筛选条件都可省略；不认识的筛选条件或重复给出的条件返回 400，并在 errors 中指明。"},
    },
    "/api/proposals/{proposal_id}": {"get": {
        "summary": "提案详情", "operationId": "getProposal", "tags": ["proposals"], "parameters": [_PROPOSAL_ID],
        "responses": {"200": _json(_ref("ProposalDetail"), "提案全部信息"), **_errors(401, 404)}}},
    "/api/proposals/{proposal_id}/extensions": {"post": {
        "summary": "申请延期答复（主办单位）", "operationId": "requestExtension", "tags": ["proposals"],
        "parameters": [_PROPOSAL_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["requested_due", "reason"], "additionalProperties": False,
            "description": "forms/extension_request.json；日期须晚于当前期限、不晚于最长期限，否则 422",
            "properties": {"requested_due": {"type": "string", "format": "date"},
                           "reason": {"type": "string", "minLength": 5, "maxLength": 5000},
                           "cross_year_note": {"type": "string", "maxLength": 5000}}}}}},
        "responses": {"201": _json(_obj({"extension_id": _INT, "current_due": _TIME, "max_due": _TIME}),
                                   "已提交，待提案委和政府办审批"), **_errors(400, 401, 403, 404, 409, 422)}}},
    "/api/tasks": {"get": {
        "summary": "我的待办", "operationId": "listTasks", "tags": ["tasks"],
        "parameters": [_query("name", "任务名（如 review）"), _query("stage", "阶段代码"),
                       _query("proposal_id", "提案 ID", _ID), *_PAGE_PARAMS],
        "responses": {"200": _json(_ref("TaskPage"), "一页待办，期限最近的在前"), **_errors(400, 401)}}},
    "/api/tasks/{task_id}": {"get": {
        "summary": "待办详情和表单", "operationId": "getTask", "tags": ["tasks"], "parameters": [_TASK_ID],
        "responses": {"200": _json(_ref("TaskDetail"), "任务、表单和上下文"), **_errors(401, 404, 409)}}},
    "/api/tasks/{task_id}/complete": {"post": {
        "summary": "办理待办", "operationId": "completeTask", "tags": ["tasks"], "parameters": [_TASK_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CompleteRequest")}}},
        "responses": {"200": _json(_ref("CompleteResult"), "办理完成"), **_errors(400, 401, 403, 404, 409, 422)}}},
    "/api/tasks/{task_id}/claim": {"post": {
        "summary": "认领待办", "operationId": "claimTask", "tags": ["tasks"], "parameters": [_TASK_ID],
        "description": "单位或部门有多名可办理人员时由一人认领：同事仍可看到（显示认领人），只有认领人可以办理",
        "requestBody": _NO_BODY,
        "responses": {"200": _json(_ref("TaskItem"), "已认领（本人已认领的，不变）"), **_errors(401, 403, 404, 409)}}},
    "/api/tasks/{task_id}/release": {"post": {
        "summary": "释放认领", "operationId": "releaseTask", "tags": ["tasks"], "parameters": [_TASK_ID],
        "requestBody": _NO_BODY,
        "responses": {"200": _json(_ref("TaskItem"), "已释放，可由同事认领或办理"), **_errors(401, 403, 404, 409)}}},
    "/api/tasks/{task_id}/assign": {"post": {
        "summary": "改派待办（提案委员会）", "operationId": "assignTask", "tags": ["tasks"], "parameters": [_TASK_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _obj(
            {"username": {"type": "string", "minLength": 1, "description": "改派给谁：该任务所属单位、角色的人员"}})}}},
        "responses": {"200": _json(_ref("TaskItem"), "已改派，对方收到消息"), **_errors(400, 401, 404, 409, 422)}}},
    "/api/proposals/{proposal_id}/attachments": {
        "post": {
            "summary": "上传附件", "operationId": "uploadAttachment", "tags": ["attachments"],
            "parameters": [_PROPOSAL_ID],
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": _ref("AttachmentUpload"),
                "encoding": {"file": {"contentType": "application/octet-stream"}}}}},
            "responses": {"201": _json(_ref("Attachment"), "已保存的附件"), **_errors(401, 403, 404, 413, 422)}},
        "get": {
            "summary": "提案的附件", "operationId": "listAttachments", "tags": ["attachments"],
            "parameters": [_PROPOSAL_ID],
            "responses": {"200": _json(_ref("AttachmentList"), "附件，最早的在前"), **_errors(401, 404)}},
    },
    "/api/attachments/{attachment_id}": {"get": {
        "summary": "下载附件", "operationId": "downloadAttachment", "tags": ["attachments"],
        "parameters": [_ATTACHMENT_ID],
        "responses": {
            "200": {"description": "文件内容；Content-Disposition: attachment 带原文件名（filename*=UTF-8''…）",
                    "headers": {"Content-Disposition": {"schema": _STR}},
                    "content": {"application/octet-stream": {"schema": {
                        "type": "string", "contentMediaType": "application/octet-stream"}}}},
            **_errors(401, 404)}}},
    "/api/supervision/samples": {
        "post": {
            "summary": "随机抽取督办提案（提案委、政府办、督查室）", "operationId": "drawSample",
            "tags": ["supervision"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SampleRequest")}}},
            "responses": {"201": {**_json(_ref("SampleDetail"), "已保存的抽查结果"),
                                  "headers": {"Location": {"schema": _STR}}},
                          **_errors(400, 401, 403)}},
        "get": {
            "summary": "历次抽查", "operationId": "listSamples", "tags": ["supervision"],
            "responses": {"200": _json(_ref("SampleList"), "历次抽查，最新的在前"), **_errors(401, 403)}},
    },
    "/api/supervision/samples/{sample_id}": {"get": {
        "summary": "抽查详情（含凭种子复核结果）", "operationId": "getSample", "tags": ["supervision"],
        "parameters": [{"name": "sample_id", "in": "path", "required": True, "schema": _ID}],
        "responses": {"200": _json(_ref("SampleDetail"), "抽中的提案和复核结果"), **_errors(401, 403, 404)}}},
    "/api/reports/overdue": {"get": {
        "summary": "超期情况报告（按单位、超期事项统计）", "operationId": "overdueReport", "tags": ["supervision"],
        "parameters": [
            _query("from", "开始日期（北京时间，含当天）；默认今年 1 月 1 日", _DATE),
            _query("to", "结束日期（北京时间，含当天）；默认今年 12 月 31 日；区间不超过 3 年", _DATE),
            _query("format", "json（默认）、xlsx 或 csv（带 BOM 的 UTF-8）",
                   {"type": "string", "enum": ["json", "xlsx", "csv"], "default": "json"})],
        "responses": {
            "200": {"description": "报告；xlsx、csv 为下载，文件名为“超期情况报告_<from>_<to>.<格式>”"
                                   "（Content-Disposition: attachment; filename*=UTF-8''…）",
                    "headers": {"Content-Disposition": {"schema": _STR}},
                    "content": {
                        "application/json": {"schema": _ref("OverdueReport")},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {
                            "type": "string", "contentMediaType":
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "description": "工作表“按单位汇总”和“明细”"}},
                        "text/csv": {"schema": {"type": "string", "description": "按单位汇总"}}}},
            **_errors(400, 401, 403)}}},
    "/api/incidents": {"get": {
        "summary": "异常案件（提案委）：未办结、却既无待办任务也无待触发计时的案件",
        "operationId": "listIncidents", "tags": ["supervision"],
        "parameters": [_query("resolved", "也列出已恢复的（1）", {"type": "string", "enum": ["1", "0", "true", "false"]}),
                       *_PAGE_PARAMS],
        "responses": {"200": _json(_page_of("Incident"), "一页异常案件，最新发现的在前"), **_errors(400, 401, 403)}}},
    "/api/notifications": {"get": {
        "summary": "我的站内消息", "operationId": "listNotifications", "tags": ["notifications"],
        "parameters": [_query("unread", "只看未读（1 或 true）", {"type": "string", "enum": ["1", "0", "true", "false", ""]}),
                       *_PAGE_PARAMS],
        "responses": {"200": _json(_ref("NotificationPage"), "一页消息，最新的在前"), **_errors(400, 401)}}},
    "/api/notifications/read": {"post": {
        "summary": "标为已读", "operationId": "markNotificationsRead", "tags": ["notifications"],
        "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("MarkReadRequest")}}},
        "responses": {"200": _json(_ref("MarkReadResult"), "已标为已读"), **_errors(400, 401)}}},
    "/api/definitions": {
        "get": {
            "summary": "流程定义版本（流程设计员、提案委）", "operationId": "listDefinitions", "tags": ["definitions"],
            "responses": {"200": _json(_obj({"versions": {"type": "array", "items": _ref("Version")}}),
                                       "所有版本，最新的在前"), **_errors(401, 403)}},
        "post": {
            "summary": "校验并部署新版本（流程设计员）：给出修改或新增的文件，其余沿用当前版本",
            "operationId": "deployDefinition", "tags": ["definitions"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("DefinitionChange")}}},
            "responses": {"201": {**_json(_ref("Deployed"), "已部署，成为当前版本"),
                                  "headers": {"Location": {"schema": _STR}}},
                          "422": _json(_ref("DefinitionProblems"), "校验未通过，未作任何改动；逐条给出文件和元素 id"),
                          **_errors(400, 401, 403)}},
    },
    "/api/definitions/validate": {"post": {
        "summary": "只校验不部署（流程设计员）", "operationId": "validateDefinition", "tags": ["definitions"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("DefinitionChange")}}},
        "responses": {"200": _json(_obj({"valid": _BOOL, "hash": _STR, "changes": _ref("FileChanges")}), "校验通过"),
                      "422": _json(_ref("DefinitionProblems"), "校验未通过"), **_errors(400, 401, 403)}}},
    "/api/definitions/{version}": {"get": {
        "summary": "一个版本的全部文件", "operationId": "getDefinition", "tags": ["definitions"],
        "parameters": [{"name": "version", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{6,64}$"},
                        "description": "版本号（内容哈希），或其至少 6 位的前缀"}],
        "responses": {"200": _json(_obj({"hash": _STR, "current": _BOOL,
                                         "files": {"type": "object", "additionalProperties": _STR}}), "版本及其文件"),
                      **_errors(401, 403, 404)}}},
    "/api/migrations": {
        "get": {
            "summary": "迁移预检（不作改动）：逐件说明运行中的案件能否迁移到目标版本、为什么不能",
            "operationId": "planMigration", "tags": ["definitions"],
            "parameters": [_query("to", "目标版本（默认当前版本）")],
            "responses": {"200": _json(_obj({"to": _STR, "dry_run": _BOOL,
                                             "cases": {"type": "array", "items": _ref("CaseCheck")}}), "逐件检查结果"),
                          **_errors(401, 403, 404)}},
        "post": {
            "summary": "批量迁移：能迁移的案件全部迁移，并记入各案件的办理记录",
            "operationId": "migrateCases", "tags": ["definitions"],
            "requestBody": {"required": False, "content": {"application/json": {"schema": _obj(
                {"to": {"type": "string", "description": "目标版本（默认当前版本）"},
                 "case_ids": {"type": "array", "items": _INT, "description": "只迁移这些案件"}}, required=[])}}},
            "responses": {"200": _json(_obj({"to": _STR, **{k: {"type": "array", "items": _ref("CaseCheck")}
                                                            for k in ("moved", "skipped", "failed")}}),
                                       "moved 已迁移；skipped 不能迁移（reasons 说明原因）；failed 迁移出错，未作改动"),
                          **_errors(400, 401, 403, 404)}},
    },
    "/api/openapi.json": {"get": {
        "summary": "本文档", "operationId": "openapi", "tags": ["meta"], "security": [],
        "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 文档（不需要数据库）"),
                      "500": {"$ref": "#/components/responses/InternalError"}}}},
}


def _error_response(name: str, text: str) -> dict:
    response = _json(_ref("Error"), text)
    if name in ("TooManyRequests", "Unavailable"):
        response["headers"] = {"Retry-After": {"description": "多少秒后可以再试", "schema": _INT}}
    return response


def _with_body_limit(paths: dict) -> dict:
    """Every operation that takes a request body may answer 413 (api/http/input_checks.py caps bodies)."""
    return {path: {method: ({**op, "responses": {**op["responses"], "413": _errors(413)["413"]}}
                            if "requestBody" in op else op) for method, op in item.items()}
            for path, item in paths.items()}


def document() -> dict:
    """The OpenAPI 3.1 document as a dict."""
    from api.http import openapi_statistics as year  # the committee's year: its own paths and schemas

    paths = {**PATHS, **year.PATHS}
    search = paths["/api/proposals"]["get"]
    paths["/api/proposals"] = {**paths["/api/proposals"], "get": {
        **search, "parameters": [*search["parameters"][:-len(_PAGE_PARAMS)], *year.SEARCH_PARAMETERS, *_PAGE_PARAMS]}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "政协提案办理系统 API", "version": "0.1.0",
                 "description": "所有错误都是 JSON：{\"error\": {\"status\", \"message\", \"errors\"?}}。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _with_body_limit(paths),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "POST /api/auth/login 得到的 token"}},
            "schemas": {**SCHEMAS, **year.SCHEMAS},
            "responses": {name: _error_response(name, text) for name, text in _ERROR_RESPONSES.items()},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return jsonify(document())


def init_app(app: Flask) -> None:
    """Register the document's route."""
    app.register_blueprint(bp)
