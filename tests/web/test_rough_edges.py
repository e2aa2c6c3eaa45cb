"""What a handler meets on the pages: attachments by name, what comes next, the region's
rules where they apply, prefilled known data, checked dates, claims."""
import io
import re

from engine.demo import ACCEPT, PLAN

from test_pages import submit, task_id

CONSULT = {"contact_date": "2026-05-01", "contact_way": "phone", "contact_people": "陈委员",
           "contact_content": "电话沟通", "proposer_view": "同意", "more_contacts": "false"}


def to_consultation(browser, unit="jtw"):
    """A proposal filed, assigned to `unit` alone, accepted and planned: (proposal id, clerk)."""
    pid = submit(browser)
    tw = browser().login("tawei_li")
    tw.post(f"/tasks/{task_id(tw, '审查立案')}", {"review_decision": "file", "category": "urban"})
    tw.post(f"/tasks/{task_id(tw, '交办')}", {"assign_mode": "single", "lead_unit_ids": unit, "is_key": "false"})
    clerk = browser().login(f"{unit}_clerk")
    clerk.post(f"/tasks/{task_id(clerk, '签收或退回')}", ACCEPT)
    clerk.post(f"/tasks/{task_id(clerk, '拟定办理方案')}", PLAN)
    head = browser().login(f"{unit}_head")
    head.post(f"/tasks/{task_id(head, '审批办理方案')}", {"approved": "true"})
    return pid, clerk


def section(html, heading):
    """The HTML of the card whose <h2> or <h3> is `heading` (up to the next heading of the page)."""
    start = html.index(f">{heading}</h")
    following = [m.start() for m in re.finditer(r"<h[23][ >]", html) if m.start() > start]
    return html[start:following[0] if following else len(html)]


# 21. Attachments by file name, with a link

def test_attachments_appear_by_file_name_with_a_link(browser):
    pid, clerk = to_consultation(browser)
    tid = task_id(clerk, "记录沟通协商")
    clerk.get(f"/tasks/{tid}")
    done = clerk.client.post(f"/tasks/{tid}", data={**CONSULT, "csrf_token": clerk.token,
                                                    "attachments": (io.BytesIO(b"%PDF minutes"), "座谈纪要.pdf")})
    assert done.status_code == 302
    dossier = clerk.text(f"/proposals/{pid}")
    link = re.search(r'<a href="(/attachments/\d+)">座谈纪要.pdf</a>', section(dossier, "办理经过"))
    assert link, "the timeline names the attachment and links to it"
    assert clerk.get(link.group(1)).data == b"%PDF minutes"
    assert not re.search(r"<dt>附件</dt><dd>\d+</dd>", dossier)
    # the dossier is its own print view: the timeline is printed (not hidden from print)
    assert 'class="card no-print">\n    <h2>办理经过' not in dossier
    reply = clerk.text(f"/tasks/{task_id(clerk, '起草答复')}")  # the next task: its side panel
    side = reply[reply.index('<aside class="card side">'):]
    assert side.count(f'<a href="{link.group(1)}">座谈纪要.pdf</a>') >= 2  # 办理信息 and 办理经过
    assert not re.search(r"<dt>附件</dt><dd[^>]*>\d+</dd>", side)
