"""The contract check of the API test suite: every response any test in tests/api gets from
an operation of the OpenAPI document is checked against it (the status is declared, the
content type is one the document gives, a JSON body matches the response's schema). A
mismatch fails the test, naming the operation, the status and what differs.

tests/api/conftest.py imports the fixture, so it runs for every test there.
"""
import pytest
from flask import request_finished

from api.http.contract import response_problems


@pytest.fixture(autouse=True)
def responses_keep_to_the_document():
    """Collect the problems of every response sent during the test; fail it if there are any."""
    problems: list[str] = []

    def check(sender, response, **extra):
        problems.extend(response_problems(response))

    request_finished.connect(check)
    try:
        yield problems
    finally:
        request_finished.disconnect(check)
    if problems:
        pytest.fail("responses that differ from the OpenAPI document:\n" + "\n".join(problems), pytrace=False)
