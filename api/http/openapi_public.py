"""The OpenAPI description of printing (PDF documents), paper ratings (代录) and 办理结果公开,
merged into the document of api/http/openapi.py (same helpers, same style)."""
from api.http.openapi_schemas import (
             _BOOL,
             _ID,
             _INT,
             _NSTR,
             _PAGE_PARAMS,
             _STR,
             _TIME,
             _errors,
             _json,
             _obj,
             _query,
             _ref,
)

_PROPOSAL_ID = {"name": "proposal_id", "in": "path", "required": True, "schema": _ID}
_REPLY_ID = {"name": "reply_event_id", "in": "path", "required": True, "schema": _ID,
             "description": "答复（正式答复步骤）的编号，见 GET /api/publication"}
_NO_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}}
_DATE = {"type": "string", "format": "date"}
_PDF = {"description": "PDF 文件（下载，Content-Disposition: attachment; filename*=UTF-8''…）",
        "headers": {"Content-Disposition": {"schema": _STR}},
        "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}}
_SHORT = {"type": "string", "maxLength": 100}
_DAY = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}],
        "description": "YYYY-MM-DD，1900-01-01 至 2999-12-31；空值表示不限"}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SCHEMAS = {
    "RatingReport": _obj({
        "from": _DATE, "to": _DATE,
        "scale": {"type": "array", "items": _obj({"code": _STR, "label": _STR})},
        "units": {"type": "array", "items": _obj({"unit_id": _STR, "unit_name": _STR,
                                                  "counts": {"type": "object", "additionalProperties": _INT},
                                                  "total": _INT, "entered": {"type": "integer", "description": "其中代录"}})},
        "items": {"type": "array", "items": _obj({
            "proposal_id": _INT, "proposal_number": _NSTR, "proposal_title": _STR, "unit_name": _STR,
            "role": {"type": "string", "enum": ["答复", "协办"]}, "rater_name": _STR, "satisfaction": _STR,
            "satisfaction_label": _STR, "round": _INT, "rated_at": _TIME, "entered_by": _NSTR,
            "entered_by_name": _NSTR, "entry": {"type": "string", "description": "本人评价，或 代录（X录入）"}})}}),
    "PrintableDocument": _obj({
        "kind": {"type": "string", "enum": ["dossier", "assignment-notice", "reply-letter", "rating-form"]},
        "title": _STR, "unit": {"type": "string", "description": "交办通知单、答复函：哪个单位的"},
        "rater": {"type": "string", "description": "征询意见表：为哪位委员预填"}}, required=["kind", "title"]),
    "PaperRater": _obj({"username": _STR, "name": _STR, "task_id": _STR}),
    "PaperRating": _obj({
        "rater": {"type": "string", "minLength": 1, "maxLength": 80, "description": "评价委员的用户名（有待评价任务的提案者或联名人）"},
        "scan_attachment_id": {**_ID, "description": "委员签字的纸质征询意见表扫描件（该提案的附件：PDF、JPG 或 PNG），必填"},
        "rating": {"type": "object", "description": "纸质表上的评价，同 forms/rate.json（satisfaction、assist_ratings、disclosure_consent、rate_comment）"},
    }, additionalProperties=False),
    "PaperRatingResult": _obj({"proposal_id": _INT, "version": _INT, "status": _STR, "rater": _STR,
                               "entered_by": {"type": "string", "description": "录入的提案委工作人员"}}),
    "PublicationItem": _obj({
        "reply_event_id": _INT, "proposal_id": _INT, "number": _NSTR, "title": _STR, "unit_id": _NSTR,
        "unit_name": _NSTR, "replied_on": _DATE,
        "publish_by": {**_DATE, "description": "按地区规则应公开的日期（答复后 N 个工作日）"},
        "overdue": _BOOL, "status": {"type": "string", "enum": ["pending", "published", "withheld", "withdrawn"]},
        "status_label": _STR, "reason": _STR, "decided_at": {"type": ["string", "null"], "format": "date-time"}}),
    "WithholdRequest": _obj({"reason": {"type": "string", "minLength": 1, "maxLength": 500,
                                        "description": "不予公开（或撤下）的理由"}}, additionalProperties=False),
    "WithdrawResult": _obj({"proposal_id": _INT, "withdrawn": _INT}),
    "PublicReply": _obj({
        "id": _INT, "number": _NSTR, "title": _STR, "year": _INT,
        "session": {"type": "string", "description": "届次（如六届一次会议），或平时提案"}, "category": _STR,
        "lead_units": {"type": "array", "items": _STR}, "assisting_units": {"type": "array", "items": _STR},
        "reply_unit": _STR, "reply_class": _STR, "replied_on": _DATE, "published_on": _DATE, "summary": _STR,
        "full_text": {"type": ["object", "null"], "description": "答复全文；按地区规则尚未到公开全文的日期时为空",
                      "properties": {"text": _STR, "adopted": _STR, "not_adopted": _STR}},
        "full_text_on": {"type": ["string", "null"], "format": "date", "description": "答复全文公开的日期（尚未公开时）"}},
        description="公开的内容只有这些：不含草稿、审批、意见、电话号码和账号"),
}

PATHS = {
    "/api/proposals/{proposal_id}/documents": {"get": {
        "summary": "可打印的文书", "operationId": "listDocuments", "tags": ["printing"],
        "parameters": [_PROPOSAL_ID],
        "responses": {"200": _json(_obj({"items": {"type": "array", "items": _ref("PrintableDocument")}}),
                                   "当前用户可打印的文书"), **_errors(401, 404)}}},
    "/api/proposals/{proposal_id}/documents/{kind}.pdf": {"get": {
        "summary": "打印文书（PDF）：一案一册、交办通知单、答复函（只有经审批正式发出的答复）、征询意见表",
        "operationId": "printDocument", "tags": ["printing"],
        "parameters": [_PROPOSAL_ID,
                       {"name": "kind", "in": "path", "required": True, "schema": {
                           "type": "string", "enum": ["dossier", "assignment-notice", "reply-letter", "rating-form"]}},
                       _query("unit", "交办通知单：哪个承办单位的（必填）；答复函：哪个主办单位的（默认最近一份）", _SHORT),
                       _query("rater", "征询意见表：为哪位委员预填（默认提案者）", _SHORT)],
        "responses": {"200": _PDF, **_errors(401, 403, 404, 409, 422)}}},
    "/api/proposals/{proposal_id}/paper-ratings": {
        "get": {"summary": "可代录纸质评价的委员（提案委）", "operationId": "listPaperRaters", "tags": ["printing"],
                "parameters": [_PROPOSAL_ID],
                "responses": {"200": _json(_obj({"items": {"type": "array", "items": _ref("PaperRater")}}),
                                           "有待评价任务的委员"), **_errors(401, 403, 404)}},
        "post": {"summary": "代录委员的纸质评价（提案委，须附签字扫描件；承办单位不能代录）",
                 "operationId": "enterPaperRating", "tags": ["printing"], "parameters": [_PROPOSAL_ID],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PaperRating")}}},
                 "responses": {"201": _json(_ref("PaperRatingResult"), "已代录；档案中标注代录及录入人"),
                               **_errors(401, 403, 404, 409, 422)}}},
    "/api/reports/ratings": {"get": {
        "summary": "评价统计（按单位、逐条；代录的评价单独计数并标注录入人）", "operationId": "ratingReport",
        "tags": ["supervision"],
        "parameters": [_query("from", "开始日期（北京时间，含当天）；默认今年 1 月 1 日", _DAY),
                       _query("to", "结束日期（北京时间，含当天）；默认今年 12 月 31 日；区间不超过 3 年", _DAY),
                       _query("format", "json（默认）或 xlsx", {"type": "string", "enum": ["json", "xlsx"], "default": "json"})],
        "responses": {"200": {"description": "统计；xlsx 为下载（工作表“按单位汇总”“明细”，明细的“录入方式”为本人评价或代录（X录入））",
                              "headers": {"Content-Disposition": {"schema": _STR}},
                              "content": {"application/json": {"schema": _ref("RatingReport")},
                                          _XLSX: {"schema": {"type": "string", "contentMediaType": _XLSX}}}},
                      **_errors(400, 401, 403)}}},
    "/api/public/replies": {"get": {
        "summary": "办理结果公开：已公开的答复（无需登录）", "operationId": "listPublicReplies", "tags": ["public"],
        "security": [],
        "parameters": [_query("year", "提案年度，如 2026；空值表示不限", {"type": "string", "anyOf": [
                           {"pattern": "^(199[0-9]|2[0-9]{3})$"}, {"maxLength": 0}]}),
                       _query("session", "届次代码（如 6-1 为六届一次会议，ordinary 为平时提案）；空值表示不限",
                              {"type": "string", "anyOf": [{"pattern": "^([0-9]{1,3}-[0-9]{1,2}|ordinary)$"},
                                                           {"maxLength": 0}]}),
                       _query("category", "类别代码", _SHORT), _query("unit", "承办单位代码", _SHORT),
                       _query("q", "案由关键词", _SHORT), *_PAGE_PARAMS],
        "responses": {"200": _json(_obj({"items": {"type": "array", "items": _ref("PublicReply")}, "total": _INT,
                                         "page": _INT, "per_page": _INT}), "一页公开的答复，最新公开的在前"),
                      **_errors()}}},
    "/api/public/replies/{publication_id}": {"get": {
        "summary": "一件公开的答复（无需登录）", "operationId": "getPublicReply", "tags": ["public"], "security": [],
        "parameters": [{"name": "publication_id", "in": "path", "required": True, "schema": _ID}],
        "responses": {"200": _json(_ref("PublicReply"), "公开的答复"), **_errors(404)}}},
    "/api/publication": {"get": {
        "summary": "办理结果公开审核列表（提案委）：提案者同意公开的答复", "operationId": "listPublication",
        "tags": ["public"],
        "responses": {"200": _json(_obj({"items": {"type": "array", "items": _ref("PublicationItem")}}),
                                   "最新答复在前"), **_errors(401, 403)}}},
    "/api/publication/{reply_event_id}/publish": {"post": {
        "summary": "公开一件答复（提案委）；通知提案者和联名人", "operationId": "publishReply", "tags": ["public"],
        "parameters": [_REPLY_ID], "requestBody": _NO_BODY,
        "responses": {"200": _json(_ref("PublicationItem"), "已公开"), **_errors(401, 403, 404, 409)}}},
    "/api/publication/{reply_event_id}/withhold": {"post": {
        "summary": "不予公开（或撤下）一件答复（提案委），须写明理由", "operationId": "withholdReply", "tags": ["public"],
        "parameters": [_REPLY_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("WithholdRequest")}}},
        "responses": {"200": _json(_ref("PublicationItem"), "已不予公开"), **_errors(401, 403, 404, 409, 422)}}},
    "/api/proposals/{proposal_id}/disclosure/withdraw": {"post": {
        "summary": "提案者在公开前撤回公开同意", "operationId": "withdrawDisclosure", "tags": ["public"],
        "parameters": [_PROPOSAL_ID], "requestBody": _NO_BODY,
        "responses": {"200": _json(_ref("WithdrawResult"), "已撤回"), **_errors(401, 403, 404, 409)}}},
}
