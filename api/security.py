"""What every response of the app carries for safety: cookies that are Secure over HTTPS,
the client's address and scheme as a trusted reverse proxy reports them (CPPCC_PROXY_HOPS)."""
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS
    (or always, with SESSION_COOKIE_SECURE / CPPCC_SECURE_COOKIES)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Trust `proxy_hops` reverse proxies' X-Forwarded-For/-Proto; Secure cookies."""
    settings = app.extensions["cppcc"]["settings"]
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    app.config["SESSION_COOKIE_SECURE"] = settings.secure_cookies
    app.session_interface = SessionCookies()
