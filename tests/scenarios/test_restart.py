"""Multi-instance steps completed in a process that did not create their instances.

SpiffWorkflow learns that an instance of a multi-instance step (co-signers'
confirmations, assisting opinions, co-signing the reply, ratings, one handling
per lead unit) finished only through a signal its parent connects when it
creates the instances. A server that restarted, or another server process,
has freshly parsed specs: unless the engine connects it when it builds the
specs, the last instance completes and the case is left with nothing to do.
Here every instance is completed under a Runtime built after the instances
were created (a fresh parse, as after a restart), under both regions and on
the test database; and once in a real second process.
"""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from test_lifecycle import consult, file_and_assign, handle, rating, reply, supervise

from engine.adapters.db import Database, UnitOfWork
from engine.model.tables import Case, OpenTask, Proposal
from engine.tooling.demo import (
    APPROVE,
    OPINION,
    act,
    consult as demo_consult,
    load_demo,
    load_story,
    open_task_names,
    plan,
)
from engine.workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def restarted(api, settings):
    """Serve the next requests from a freshly built Runtime, as a restarted server would."""
    fresh = Runtime(settings)
    api.client.application.extensions["cppcc"]["runtime"] = fresh
    api.runtime = fresh


def complete_fresh(api, settings, username, name, pid, data):
    restarted(api, settings)
    return api.do(username, name, pid, data)


def test_joint_handling_with_cosigners_completed_after_restarts(api, settings):
    f = api.facts
    first, second = f.assists
    pid = api.submit("wy_chen", cosigners=["wy_lin", "wy_huang"])
    complete_fresh(api, settings, "wy_lin", "cosigner_confirm", pid, {"agree": True})
    complete_fresh(api, settings, "wy_huang", "cosigner_confirm", pid, {"agree": True})
    assert api.open(pid) == ["review"]
    file_and_assign(api, pid, "joint", (f.lead,), f.assists)
    api.do(f"{f.lead}_clerk", "accept", pid, {"accept_decision": "accept"})
    api.do(f"{f.lead}_clerk", "plan_draft", pid, plan())
    api.do(f"{f.lead}_head", "plan_approve", pid, APPROVE)
    consult(api, pid, f.lead)
    complete_fresh(api, settings, f"{first}_clerk", "assist_opinion", pid, OPINION)
    complete_fresh(api, settings, f"{second}_clerk", "assist_opinion", pid, OPINION)
    assert api.open(pid) == ["reply_draft"]
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain))
    complete_fresh(api, settings, f"{first}_head", "cosign_reply", pid, {"agree": True})
    complete_fresh(api, settings, f"{second}_head", "cosign_reply", pid, {"agree": True})
    assert api.open(pid) == ["head_approve"]
    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    for rater in ("wy_lin", "wy_huang", "wy_chen"):
        complete_fresh(api, settings, rater, "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["open_tasks"] == []


def test_separate_leads_each_finished_after_a_restart(api, settings):
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid, "separate", f.separate)
    for unit in f.separate:
        handle(api, pid, unit)
        api.do(f"{unit}_clerk", "reply_draft", pid, reply(f.plain))
        api.do(f"{unit}_head", "head_approve", pid, APPROVE)
        supervise(api, pid, f.plain)
        # the rating ends this unit's handling: the `handle` call activity's instance
        complete_fresh(api, settings, "wy_chen", "rate_reply", pid, rating(f.good))
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["open_tasks"] == []


def test_the_last_rating_in_another_process(api, settings, region):
    """A real second process (a fresh interpreter) completes the rating."""
    f = api.facts
    pid = api.submit("wy_chen")
    file_and_assign(api, pid)
    handle(api, pid, f.lead)
    api.do(f"{f.lead}_clerk", "reply_draft", pid, reply(f.plain))
    api.do(f"{f.lead}_head", "head_approve", pid, APPROVE)
    supervise(api, pid, f.plain)
    script = ("import sys\n"
              "from engine.model.settings import Settings\n"
              "from engine.adapters.db import Database\n"
              "from engine.tooling.demo import act\n"
              "from engine.workflow.runtime import Runtime\n"
              "settings = Settings.from_env(database_url=sys.argv[1], region=sys.argv[2])\n"
              "act(Database(settings.database_url), Runtime(settings), 'wy_chen', 'rate_reply',\n"
              "    {'satisfaction': sys.argv[3], 'disclosure_consent': True}, int(sys.argv[4]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, settings.database_url, region or "default", f.good, str(pid)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    p = api.proposal(pid)
    assert p["status"] == "closed" and p["open_tasks"] == []


def test_the_demo_joint_proposal_goes_on_after_the_last_opinion(settings, region):
    """As `cppcc serve --demo` does: the demo is loaded by one Runtime, the server is another."""
    database = Database(settings.database_url)
    database.drop_schema()
    database.create_schema()
    try:
        loader = Runtime(settings)
        story = load_story(loader)
        entry = next(e for e in story if e["stage"] == "joint")
        pid = load_demo(database, loader)[story.index(entry)]
        server = Runtime(settings)
        for unit in entry["assists"][1:]:
            act(database, server, f"{unit}_clerk", "assist_opinion", OPINION, pid)
        for _ in range(20):
            if "consultation" not in open_task_names(database, pid):
                break
            act(database, server, f"{entry['lead']}_clerk", "consultation", demo_consult(), pid)
        assert open_task_names(database, pid) == ["reply_draft"]
        with UnitOfWork(database) as uow:
            assert uow.session.get(Proposal, pid).status == "replying"
            case = uow.session.scalar(select(Case).where(Case.proposal_id == pid, Case.process == "proposal"))
            assert not case.completed
            assert uow.session.scalar(select(func.count()).select_from(OpenTask)
                                      .where(OpenTask.case_id == case.id)) == 1
    finally:
        database.engine.dispose()

