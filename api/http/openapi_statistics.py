"""The OpenAPI description of the committee's year (api/http/statistics.py), in the style of
api/http/openapi.py, which merges these paths and schemas into the document."""
from api.http import openapi_schemas as doc
from engine.model import limits

# a year as the engine reads it (engine/model/limits.py: four digits, 1949-2999), or empty for this year
_YEAR_OR_EMPTY = f"^({limits.YEAR_PATTERN[1:-1]})?$"
_YEAR = {"type": "string", "pattern": _YEAR_OR_EMPTY, "description": "四位年份（提交年度，北京时间）；默认今年"}
_BODY_YEAR = {"type": ["string", "integer"], "pattern": _YEAR_OR_EMPTY,
              "minimum": limits.FIRST_YEAR, "maximum": limits.LAST_YEAR, "description": "四位年份；空值表示今年"}
_FILTERS = [
    doc._query("year", "年度（提交年度）；默认今年", _YEAR),
    doc._query("session", "届次代码（如 6-1 为六届一次会议），ordinary 为平时提案；空值表示全部"),
    doc._query("category", "类别代码"),
    doc._query("unit", "主办单位；承办单位负责人只能看本单位"),
    doc._query("key_only", "只看重点提案", doc._FLAG),
]
_FORMAT = doc._query("format", "json（默认）或 xlsx（Excel 下载）", {"type": "string", "enum": ["json", "xlsx"], "default": "json"})
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_NUM = {"type": ["number", "null"]}
_FIGURES = {"counts": {"type": "object", "additionalProperties": doc._INT, "description": "计数，键见 definitions.counts"},
            "ratios": {"type": "object", "additionalProperties": _NUM,
                       "description": "比率（百分数，保留一位小数；平均数保留两位），分母为 0 时为 null"}}
_ROW = doc._obj({**_FIGURES}, required=["counts", "ratios"], additionalProperties=True)


def _download(media, text):
    return {"description": text, "headers": {"Content-Disposition": {"schema": doc._STR}},
            "content": {media: {"schema": {"type": "string", "contentMediaType": media}}}}


def _figures_or_xlsx(schema, text):
    return {"description": text + "；format=xlsx 时为 Excel 下载", "headers": {"Content-Disposition": {"schema": doc._STR}},
            "content": {"application/json": {"schema": schema},
                        _XLSX: {"schema": {"type": "string", "contentMediaType": _XLSX}}}}


SCHEMAS = {
    "Statistics": doc._obj({
        "filters": {"type": "object"}, "session_label": doc._NSTR, **_FIGURES,
        "units": {"type": "array", "items": _ROW, "description": "主办单位，按办理件数排列；half_load 标出合计承担一半办理量的单位"},
        "assist_units": {"type": "array", "items": _ROW}, "categories": {"type": "array", "items": _ROW},
        "groups": {"type": "array", "items": _ROW, "description": "个人提案、联名提案"},
        "monthly": {"type": "array", "items": doc._obj({"month": doc._STR, "replied": doc._INT, "on_time": doc._INT,
                                                          "late": doc._INT})},
        "overdue": {"type": "array", "items": {"type": "object"}}, "overdue_units": {"type": "array", "items": {"type": "object"}},
        "key_proposals": {"type": "array", "items": {"type": "object"}},
        "definitions": {"type": "object", "description": "口径说明：每个计数和比率的名称、含义、分子和分母"},
        "scope_unit": doc._NSTR, "list_query": {"type": "object", "description": "查看明细时提案查询的筛选条件"}},
        required=["filters", "counts", "ratios", "units", "definitions"]),
    "StatisticsUnits": doc._obj({"filters": {"type": "object"}, "units": {"type": "array", "items": _ROW},
                                 "assist_units": {"type": "array", "items": _ROW}, "definitions": {"type": "object"}}),
    "Assessment": doc._obj({
        "year": doc._INT, "scheme": {"type": "object", "description": "本地区考核方案（满分、考核项、权重、目标、扣分规则）"},
        "units": {"type": "array", "items": doc._obj({
            "unit": doc._STR, "name": doc._STR, "score": {"type": "number"}, "rank": doc._INT,
            "items": {"type": "array", "items": {"type": "object"}, "description": "每项得分、失分、说明和失分的提案"},
            "deductions": {"type": "array", "items": {"type": "object"}},
            "manual": {"type": "array", "items": {"type": "object"}}}, required=["unit", "name", "score", "rank"])},
        "frozen": {"type": ["object", "null"], "description": "已锁定时：锁定人、时间、说明"},
        "may_assess": doc._BOOL}, required=["year", "scheme", "units", "frozen"]),
    "ManualItem": doc._obj({"year": _BODY_YEAR, "unit": doc._STR, "item": doc._STR,
                            "points": {"type": "number"}, "reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
                           required=["unit", "item", "points", "reason"]),
    "Freeze": doc._obj({"year": _BODY_YEAR, "note": {"type": "string", "maxLength": 2000}}, required=[]),
}

PATHS = {
    "/api/statistics": {"get": {
        "summary": "统计分析：年度（或届次）的各项指标和分单位、分类别、逐月统计", "operationId": "getStatistics",
        "tags": ["statistics"], "parameters": [*_FILTERS, _FORMAT],
        "responses": {"200": _figures_or_xlsx(doc._ref("Statistics"), "统计结果"), **doc._errors(400, 401, 403)}}},
    "/api/statistics/units": {"get": {
        "summary": "分承办单位统计（主办、协办）", "operationId": "getUnitStatistics", "tags": ["statistics"],
        "parameters": [*_FILTERS, _FORMAT],
        "responses": {"200": _figures_or_xlsx(doc._ref("StatisticsUnits"), "分单位统计"), **doc._errors(400, 401, 403)}}},
    "/api/assessment": {"get": {
        "summary": "承办单位考核：得分、名次和逐项说明", "operationId": "getAssessment", "tags": ["statistics"],
        "parameters": [doc._query("year", "年度；默认今年", _YEAR),
                       doc._query("live", "true：按当前数据计算（不看已锁定的结果）", doc._FLAG), _FORMAT],
        "responses": {"200": _figures_or_xlsx(doc._ref("Assessment"), "考核结果"), **doc._errors(400, 401, 403)}}},
    "/api/assessment/manual": {"put": {
        "summary": "填写考核手工项（政府办）：如领导重视、特色创新，须写明理由", "operationId": "setAssessmentItem",
        "tags": ["statistics"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": doc._ref("ManualItem")}}},
        "responses": {"200": doc._json({"type": "object"}, "已保存"), **doc._errors(400, 401, 403, 404)}}},
    "/api/assessment/freeze": {"post": {
        "summary": "锁定年度考核结果（政府办）：此后的数据更正不再改变已公布的排名", "operationId": "freezeAssessment",
        "tags": ["statistics"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": doc._ref("Freeze")}}},
        "responses": {"201": doc._json({"type": "object"}, "已锁定"), **doc._errors(400, 401, 403)}}},
    "/api/reports/annual": {"get": {
        "summary": "年度提案办理情况报告（Word 文档）", "operationId": "annualReport", "tags": ["statistics"],
        "parameters": _FILTERS,
        "responses": {"200": _download(_DOCX, "Word 文档下载，文件名为“提案办理情况报告_<年度>.docx”"),
                      **doc._errors(400, 401, 403)}}},
}

SEARCH_PARAMETERS = [
    doc._query("year", "年度（提交年度）", {"type": "string"}),
    doc._query("session", "届次代码，ordinary 为平时提案"),
    doc._query("lead", "主办单位"),
    doc._query("indicator", "统计指标（如 replied、on_time、met、class:A、sat:satisfied）：统计分析中该数字背后的提案"),
]
