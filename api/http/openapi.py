"""The OpenAPI 3.1 document of the API, served at /api/openapi.json: the one contract. The
paths are here, the schemas they use in api/http/openapi_schemas.py.

Every request to an operation described here is checked against it before its
view runs (api/http/contract.py: query parameters, JSON bodies), and the API test
suite checks every response against it. The bodies that are forms (a proposal, an
extension request) are the forms themselves (forms/*.json), so the document and the
form validation cannot disagree. tests/api/test_api_errors.py checks that every /api
route of the app is described here (and nothing else).

A new route: add its operation to PATHS (parameters, request body, every status it
answers) and its schemas to SCHEMAS; nothing else needs to know about it.
"""
from flask import Blueprint, Flask, jsonify

from api.http import openapi_public  # printing, paper ratings, 办理结果公开
from api.http.openapi_schemas import (  # noqa: F401 (the building blocks of the paths below)
    _BOOL,
    _DATE,
    _ERROR_RESPONSES,
    _FLAG,
    _ID,
    _INT,
    _NO_BODY,
    _PAGE_PARAMS,
    _STR,
    _TIME,
    SCHEMAS,
    _errors,
    _json,
    _obj,
    _page_of,
    _query,
    _ref,
)
from engine.services.attachments import SAFE_CONTENT_TYPES

bp = Blueprint("openapi", __name__, url_prefix="/api")


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
            "requestBody": {"required": True, "x-form": True,
                            "content": {"application/json": {"schema": _ref("ProposalSubmission")}}},
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
        "requestBody": {"required": True, "x-form": True,
                        "content": {"application/json": {"schema": _ref("ExtensionRequest")}}},
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
            {"username": {"type": "string", "pattern": "\\S", "maxLength": 80,
                          "description": "改派给谁：该任务所属单位、角色的人员"}}, additionalProperties=False)}}},
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
            "200": {"description": "文件内容；Content-Disposition: attachment 带原文件名（filename*=UTF-8''…）；"
                                   "PDF、Office、WPS 文档和图片按其类型，其他为 application/octet-stream",
                    "headers": {"Content-Disposition": {"schema": _STR}},
                    "content": {media: {"schema": {"type": "string", "contentMediaType": media}}
                                for media in ["application/octet-stream", *sorted(SAFE_CONTENT_TYPES)]}},
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
                   {"type": "string", "enum": ["json", "xlsx", "csv"], "default": "json"}),
            *_PAGE_PARAMS],
        "responses": {
            "200": {"description": "报告（json 的明细分页，汇总按整个区间；xlsx、csv 含全部明细）；xlsx、csv 为下载，文件名为“超期情况报告_<from>_<to>.<格式>”"
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
        "parameters": [_query("resolved", "也列出已恢复的（1 或 true）",
                              {"type": "string", "enum": ["1", "0", "true", "false", ""]}),
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
                          "200": _json(_ref("NotDeployed"), "与当前版本相同，未部署"),
                          "422": _json(_ref("DefinitionProblems"), "校验未通过，未作任何改动；逐条给出文件和元素 id"),
                          **_errors(400, 401, 403, 409)}},
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
                 "case_ids": {"type": "array", "items": _ID, "maxItems": 10_000,
                              "description": "只迁移这些案件"}}, required=[], additionalProperties=False)}}},
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


from api.http import openapi_plenary  # noqa: E402 (its paths use the helpers above)

SCHEMAS.update(openapi_plenary.SCHEMAS)
PATHS.update(openapi_plenary.PATHS)
_SEARCH = PATHS["/api/proposals"]["get"]
_SEARCH["parameters"].insert(-2, openapi_plenary.SEARCH_FORMAT)
_SEARCH["responses"]["200"]["content"].update(openapi_plenary.SEARCH_XLSX)


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
        "paths": _with_body_limit({**paths, **openapi_public.PATHS}),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "POST /api/auth/login 得到的 token"}},
            "schemas": {**SCHEMAS, **year.SCHEMAS, **openapi_public.SCHEMAS},
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
