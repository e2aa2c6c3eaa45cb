"""The OpenAPI description of the plenary routes (api/http/plenary.py), in the style
of api/http/openapi.py, which merges these into its document (building blocks from
api/http/openapi_schemas.py)."""
from api.http.openapi_schemas import (
              _BOOL as BOOL,
              _ID as ID,
              _INT as INT,
              _NINT as NINT,
              _NSTR as NSTR,
              _STR as STR,
              _TIME as TIME,
              _errors as errors,
              _json as json_response,
              _obj as obj,
              _query as query,
              _ref as ref,
)
from engine.model import limits

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNIT_LIST = {"type": "array", "items": STR, "description": "单位编码（地区单位名录）"}
_BRIEF = obj({"id": INT, "number": NSTR, "title": STR, "year": INT, "status": STR, "status_label": STR,
              "score": {"type": "number", "description": "相似度 0–1（余弦相似度）"}}, required=["id", "number", "title", "year", "status", "status_label"])
_SUGGESTED_UNIT = obj({"unit_id": STR, "unit_name": STR, "score": {"type": "number"},
                       "reasons": {"type": "array", "items": STR, "description": "建议的理由：职责关键词、曾办理的相似提案"}})

SCHEMAS = {
    "SimilarBrief": _BRIEF,
    "BatchItem": obj({
        "task_id": {"type": "string", "format": "uuid"}, "step": {"type": "string", "enum": ["review", "assign"]},
        "step_title": STR, "version": {"type": "integer", "description": "提交时作为 version 传回"},
        "claimed_by": NSTR, "proposal_id": INT, "number": NSTR, "title": STR, "category": NSTR, "category_label": NSTR,
        "source": STR, "submitted_at": TIME, "proposer_name": NSTR, "cosigner_names": {"type": "array", "items": STR},
        "is_key": BOOL,
        "duplicates": {"type": "array", "items": ref("SimilarBrief"), "description": "同一年度的疑似重复提案（可并案）"},
        "suggested": obj({"lead": {"type": "array", "items": _SUGGESTED_UNIT},
                          "assisting": {"type": "array", "items": _SUGGESTED_UNIT},
                          "ranked": {"type": "array", "items": _SUGGESTED_UNIT}},
                         description="建议的主办、协办单位（由提案委决定）")}),
    "BatchPage": obj({"items": {"type": "array", "items": ref("BatchItem")}, "total": INT, "page": INT, "per_page": INT,
                      "counts": obj({"review": INT, "assign": INT})}),
    "BatchRow": obj({
        "task_id": {"type": "string", "format": "uuid", "description": "该行的待办（审查立案或交办）"},
        "version": {"type": "integer", "description": "读取时的 version（可选）"},
        "decision": {"type": "string", "enum": ["file", "not_file", "merge", "opinion", ""],
                     "description": "审查结论（审查立案的行）；空为暂不处理"},
        "reason": {"type": "string", "description": "不立案、转为意见的理由"},
        "merge_into_id": {**ID, "description": "并入的提案"},
        "category": {"type": "string", "description": "更正后的类别代码"},
        "lead_unit_ids": {**_UNIT_LIST, "description": "主办单位（多个为分别主办）；立案的行给出时同时交办"},
        "assisting_unit_ids": {**_UNIT_LIST, "description": "协办单位"},
        "assign_mode": {"type": "string", "enum": ["single", "joint", "separate"], "description": "不给出时按单位推定"},
        "is_key": BOOL, "supervising_leader": {"type": "string", "description": "督办领导（重点提案必填）"},
        "assign_note": STR}, required=["task_id"], additionalProperties=False),
    "BatchRequest": obj({"rows": {"type": "array", "items": ref("BatchRow"), "minItems": 1, "maxItems": 200}}),
    "BatchRowResult": obj({
        "row": INT, "task_id": NSTR, "proposal_id": NINT, "ok": BOOL, "skipped": BOOL, "status": NSTR,
        "status_label": NSTR, "number": NSTR, "title": NSTR, "message": {"type": ["string", "null"], "description": "未通过的原因"},
        "errors": {"type": "array", "items": ref("FieldError")}}),
    "BatchResult": obj({"applied": INT, "refused": INT, "skipped": INT,
                        "rows": {"type": "array", "items": ref("BatchRowResult"), "description": "与提交的行一一对应"}}),
    "SimilarList": obj({"items": {"type": "array", "items": {"allOf": [ref("SimilarBrief"), obj({
        "visible": {"type": "boolean", "description": "当前用户能否查看该提案"}})]}}}),
    "Related": obj({"merged_into": {"anyOf": [ref("SimilarBrief"), {"type": "null"}], "description": "本案并入的提案"},
                    "merged_here": {"type": "array", "items": ref("SimilarBrief"), "description": "并入本案的提案"},
                    "similar": {"type": "array", "items": ref("SimilarBrief")}}),
    "ImportResult": obj({
        "rows": {"type": "array", "items": obj({"row": INT, "title": NSTR, "proposer": NSTR, "proposer_name": NSTR,
                                                  "cosigners": {"type": "array", "items": STR}})},
        "errors": {"type": "array", "items": obj({"row": INT, "column": STR, "field": STR, "message": {
            "type": "string", "description": "如 第 3 行 B 列（类别）：……"}})},
        "written": INT, "dry_run": BOOL, "proposal_ids": {"type": "array", "items": INT}}),
}

_XLSX_RESPONSE = {"description": "Excel 文件（Content-Disposition: attachment; filename*=UTF-8''…）",
                  "headers": {"Content-Disposition": {"schema": STR}},
                  "content": {XLSX: {"schema": {"type": "string", "contentMediaType": XLSX}}}}

PATHS = {
    "/api/plenary": {
        "get": {"summary": "批量审查交办：待审查立案、待交办的提案（提案委）", "operationId": "listBatch", "tags": ["plenary"],
                "parameters": [query("category", "类别代码（本地区没有的代码：400，指明该字段）"),
                               query("step", "环节", {"type": "string", "enum": ["review", "assign", ""]}),
                               {"name": "page", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": limits.MAX_PAGE, "default": 1}},
                               {"name": "per_page", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}],
                "responses": {"200": json_response(ref("BatchPage"), "一页提案，提交最早的在前，附疑似重复和建议单位"),
                              **errors(400, 401, 403)}},
        "post": {"summary": "批量审查交办：一次提交整页，每行各自办理（提案委）", "operationId": "applyBatch",
                 "tags": ["plenary"],
                 "description": "每行各自经过本提案的审查立案（及交办）、表单校验和办理记录；"
                                "某行未通过时该行不作任何改动，其余各行照常生效。",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("BatchRequest")}}},
                 "responses": {"200": json_response(ref("BatchResult"), "逐行结果"), **errors(400, 401, 403, 422)}}},
    "/api/proposals/similar": {"get": {
        "summary": "相似提案（撰写时随标题查询）", "operationId": "similarProposals", "tags": ["proposals"],
        "parameters": [query("title", "正在填写的案由"), query("body", "正文（可选，给出时按全文比较）"),
                       query("limit", "条数（默认为地区配置的 similarity.shown，最多 20）", {"type": "integer", "minimum": 0, "maximum": 20})],
        "responses": {"200": json_response(ref("SimilarList"), "本年度和往年的相似提案，最相似的在前；不可查看的只给案号、标题、年度和状态"),
                      **errors(400, 401)}}},
    "/api/proposals/{proposal_id}/related": {"get": {
        "summary": "并案链接和相似提案", "operationId": "relatedProposals", "tags": ["proposals"],
        "parameters": [{"name": "proposal_id", "in": "path", "required": True, "schema": ID}],
        "responses": {"200": json_response(ref("Related"), "并入的、被并入的和相似的提案"), **errors(401, 404)}}},
    "/api/proposals/import-template": {"get": {
        "summary": "提案导入模板（Excel，含填写说明）", "operationId": "importTemplate", "tags": ["proposals"],
        "responses": {"200": _XLSX_RESPONSE, **errors(401, 403)}}},
    "/api/proposals/import": {"post": {
        "summary": "从 Excel 导入提案（提案委）", "operationId": "importProposals", "tags": ["proposals"],
        "description": "逐行检查，错误写明第 N 行 X 列；有任何错误时不导入任何一行。导入的提案进入审查立案，联名人以纸质签名为准。",
        "parameters": [query("dry_run", "只检查不导入（1 或 true）", {"type": "string", "enum": ["1", "0", "true", "false", ""]})],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": obj({
            "file": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "按模板填写的 .xlsx（其他内容返回 422）"}})}}},
        "responses": {"200": json_response(ref("ImportResult"), "只检查：全部通过"),
                      "201": json_response(ref("ImportResult"), "已全部导入"),
                      "422": json_response({"anyOf": [ref("ImportResult"), ref("Error")]},
                                         "有错误，未导入任何一行（errors 逐条列出）；未选择文件时为一般的错误说明"),
                      **errors(400, 401, 403)}}},
}

SEARCH_FORMAT = query("format", "json（默认）或 xlsx：导出全部符合条件的提案（案号、案由、提案者、联名人、类别、届次、"
                                "主办/协办单位、状态、答复类别、满意度、日期）", {"type": "string", "enum": ["json", "xlsx"], "default": "json"})
SEARCH_XLSX = {XLSX: _XLSX_RESPONSE["content"][XLSX]}
