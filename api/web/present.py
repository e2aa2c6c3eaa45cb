"""Say stored values the way people read them: labels instead of codes, and
form fields with their Chinese titles instead of raw data."""
from markupsafe import Markup

from engine.workflow.runtime import Runtime

HIDDEN_CONTEXT = {"proposal_id", "status", "leads", "raters", "handling_round", "min_consultations",
                  "reassign_count", "report_count", "cosigners", "cosigners_confirmed", "proposer",
                  "gov_review", "deputy_approval", "supervision_review", "next_step", "needs_follow_up",
                  "previous_lead", "handling_results", "cosigner_confirmations", "title", "category",
                  # decisions of earlier steps: the timeline shows who decided what
                  "approved", "approve_comment", "accept_decision", "more_contacts", "report_done",
                  "close_approved", "review_decision"}


# Multi-instance results kept per unit or per person, and what to call them.
COLLECTIONS = {"opinions": ("协办意见", "assist_opinion"), "cosigns": ("会签意见", "cosign_reply"),
               "ratings": ("评价", "rate_reply")}


class Presenter:
    """Labels for every field of every form, from the forms and the region profile."""

    def __init__(self, rt: Runtime, unit_names: dict, user_names: dict, files: dict | None = None):
        """`files`: the proposal's attachments, {id: (file name, download URL)}."""
        self.rt, self.unit_names, self.user_names, self.files = rt, unit_names, user_names, files or {}
        self.fields, self.by_form = {}, {}
        for name in rt.forms.schemas:
            props = rt.forms.resolved(name).get("properties", {})
            self.by_form[name] = props
            for key, prop in props.items():
                self.fields.setdefault(key, prop)
        self.task_forms = {name: meta.form for name, meta in rt.current.user_tasks.items()}

    def _props(self, task_name):
        return self.by_form.get(self.task_forms.get(task_name), self.fields) if task_name else self.fields

    def title(self, key: str, task_name: str | None = None) -> str:
        """The Chinese title of a form field (as the task's own form names it), or the key."""
        return self._props(task_name).get(key, self.fields.get(key, {})).get("title", key)

    def value(self, key: str, value, task_name: str | None = None) -> str:
        """A stored value as text: enum labels, 是/否, unit and person names."""
        prop = self._props(task_name).get(key, self.fields.get(key, {}))
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return "是" if value else "否"
        if prop.get("x-widget") == "attachments" and isinstance(value, list):
            return self.file_links(value)
        if isinstance(value, list):
            item = prop.get("items", {})
            labels = item.get("x-labels", {})
            return "、".join(labels.get(v, self.user_names.get(v, str(v))) for v in value)
        if isinstance(value, dict):
            inner = prop.get("additionalProperties", {}).get("x-labels", {})
            return "；".join(f"{self.unit_names.get(k, k)}：{inner.get(v, v) if isinstance(v, str) else v}"
                            for k, v in value.items())
        labels = prop.get("x-labels", {})
        if value in labels:
            return labels[value]
        if key.endswith("unit") and value in self.unit_names:
            return self.unit_names[value]
        if prop.get("x-widget") == "leaders":
            return self.user_names.get(value, str(value))
        return str(value)

    def file_links(self, ids: list) -> Markup:
        """Attachments by file name, each a download link (escaped)."""
        links = []
        for attachment_id in ids:
            name, url = self.files.get(attachment_id) or self.files.get(_int(attachment_id)) or (None, None)
            links.append(Markup('<a href="{}">{}</a>').format(url, name) if name else Markup("（文件已不存在）"))
        return Markup("、").join(links)

    def rows(self, data: dict, skip=(), task_name: str | None = None) -> list[tuple[str, str]]:
        """(title, text) rows for a dict of form data, known fields only; `task_name`
        picks that task's form for titles and labels."""
        if not isinstance(data, dict):
            return []
        return [(self.title(k, task_name), self.value(k, v, task_name)) for k, v in data.items()
                if k in self.fields and k not in skip and v not in (None, "", [], {})]

    def context_rows(self, context: dict) -> list[tuple[str, str]]:
        """What a handler needs to know of the case so far (drafts, decisions), as rows."""
        return self.rows({k: v for k, v in context.items() if k not in HIDDEN_CONTEXT})

    def collections(self, context: dict) -> list[tuple[str, list]]:
        """(heading, rows) per unit or person for multi-instance results such as opinions."""
        out = []
        for key, (heading, task_name) in COLLECTIONS.items():
            for who, data in (context.get(key) or {}).items():
                name = self.unit_names.get(who) or self.user_names.get(who) or who
                out.append((f"{heading}（{name}）", self.rows(data, task_name=task_name)))
        return out


def _int(value):
    return int(value) if isinstance(value, str) and value.isdigit() else value
