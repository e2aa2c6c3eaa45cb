"""A browser-like client for the pages: logs in through the form, sends CSRF tokens
(used by tests/web and by the tests that open pages elsewhere)."""
import re

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Flask's test client used the way a browser uses the pages."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, path, **kw):
        response = self.client.get(path, **kw)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path, data=None, token=True, **kw):
        data = dict(data or {})
        if token:
            if self.token is None:
                self.get(path if path != "/logout" else "/tasks")
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def login(self, username, password="demo123"):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self

    def text(self, path):
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)
