"""A browser-like client for the pages: logs in through the form, sends CSRF tokens."""
import pytest
from page_client import Browser


@pytest.fixture
def browser(app):
    """A fresh browser (own cookie jar) per call: browser() -> Browser."""
    return lambda: Browser(app.test_client())
