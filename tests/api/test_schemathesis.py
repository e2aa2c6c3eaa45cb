"""Schemathesis over the OpenAPI document (GET /api/openapi.json) against the WSGI app:
every operation, as several roles, with every built-in check (no server error,
status codes, content types, headers and bodies as the document says, negative
data refused, valid data accepted...). Runs on SQLite, or on
CPPCC_TEST_DATABASE_URL.

The database is made once for the module: the test people, and a few proposals
standing at different steps so that small ids and open tasks exist.
"""
import os

import pytest
import schemathesis
from conftest import PASSWORD, PEOPLE, Api  # tests/api/conftest.py
from hypothesis import HealthCheck, settings
from worlds import Services, fuzzed_world  # tests/worlds.py

from api import create_app
from api.http.openapi import document
from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.services.directory import add_user, sync_units

ROLES = ("tw_li", "fgw_clerk", "wy_chen")  # the committee, a unit clerk, a proposer
EXAMPLES = int(os.environ.get("CPPCC_SCHEMATHESIS_EXAMPLES", "20"))  # per operation and role


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory, runtimes, templates):
    """One app and database for the whole module, with PEOPLE, a designer and a small world."""
    folder = tmp_path_factory.mktemp("schemathesis")
    url = os.environ.get("CPPCC_TEST_DATABASE_URL") or f"sqlite:///{folder}/t.db"
    templates.copy(url, "schema")
    database = Database(url)
    settings = Settings(database_url=url, upload_dir=folder / "uploads", secret_key=os.environ.get("CPPCC_SECRET_KEY"))
    runtime = runtimes.get(settings)
    app = create_app(settings, runtime=runtime, database=database)
    with UnitOfWork(database) as uow:
        sync_units(uow.session, runtime.region)
        for username, (name, roles, unit) in PEOPLE.items():
            add_user(uow.session, username, name, PASSWORD, roles, unit)
        add_user(uow.session, "designer", "流程设计员", PASSWORD, ["designer"])
        uow.commit()
    fuzzed_world(Services(database, runtime))  # the state fuzzed from, built without HTTP (tests/worlds.py)
    client = Api(app)
    app.extensions["cppcc_tokens"] = {role: client.headers(role) for role in ROLES}
    yield app
    database.engine.dispose()


# The document as api/http/openapi.py builds it; test_the_served_document_is_the_one_fuzzed checks that
# GET /api/openapi.json serves exactly this. (schemathesis's lazy fixture loader does not run
# under pytest 9, so the document is loaded here and the requests go to the app fixture.)
#
# Generated text has no NUL characters: the API refuses them on purpose (a 400 naming the field,
# as the document says; tests/api/test_hostile_input.py tests that). A well-formed request may be
# refused with 422 where what it names is checked against data the document cannot list: the
# region's codes and accounts (a proposal), the task's own form (completing a task), the deadlines
# (an extension), a file's type and content (an upload, an Excel import, a signed scan), a diagram's
# validity (definitions), the scheme's manual items (an assessment item), a page's rows (a batch). And
# two searches refuse with 400 date ranges that are wrong only together (to before from; the
# report's three years), which the document states in words: OpenAPI cannot relate two parameters.
CONTENT_CHECKED = ["submitProposal", "completeTask", "requestExtension", "uploadAttachment", "deployDefinition",
                   "validateDefinition", "importProposals", "enterPaperRating", "setAssessmentItem", "applyBatch",
                   "printDocument"]  # a member's rating form names the unit and the rater: region data
# The statistics', the annual report's and the batch list's (批量审查交办) filters name the region's
# session, category and unit codes, which a region-independent document cannot list: a code the region does not have is a
# 400 naming the field. (Which generated texts reach them depends on the worker's hash seed, so a
# run on one process could pass while the parallel suite's did not.)
# The rating report's period, like the search's and the overdue report's, is refused when its two
# dates are wrong only together.
FILTERED = ["listProposals", "overdueReport", "ratingReport", "getStatistics", "getUnitStatistics", "annualReport",
            "listBatch"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict({
    # the bearer token is the role's, sent with every request (the ignored_auth check sends none)
    "generation": {"allow-x00": False, "with-security-parameters": False},
    "operations": [{"include-operation-id": CONTENT_CHECKED,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}},
                   {"include-operation-id": FILTERED,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}}],
})
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


def test_the_served_document_is_the_one_fuzzed(fuzzed_app):
    assert fuzzed_app.test_client().get("/api/openapi.json").get_json() == document()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(case, fuzzed_app):
    case.operation.schema.app = fuzzed_app  # checks that send requests of their own (e.g. without the token) too
    for role in ROLES:  # each generated request, sent as each role
        case.call_and_validate(app=fuzzed_app, base_url="http://localhost", headers=fuzzed_app.extensions["cppcc_tokens"][role])
