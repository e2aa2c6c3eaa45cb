"""What every response of the app carries for safety: headers that forbid framing, type
sniffing and leaking addresses to other sites, a Content-Security-Policy, cookies that are
Secure over HTTPS, and the client's address and scheme as a trusted reverse proxy reports
them (CPPCC_PROXY_HOPS).

The pages' policy allows scripts, styles, fonts and requests from this site only and no
inline script or style: the templates have none (their scripts are files under static/, the
designer's settings a JSON <script> block that is data, not code). Anything else (JSON,
files, downloads) may load nothing and runs sandboxed should a browser render it."""
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS
    (or always, with SESSION_COOKIE_SECURE / CPPCC_SECURE_COOKIES)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
               "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
# The designer's editors only: dmn-js (with the CodeMirror FEEL editor inside it) and the
# bpmn-js properties panel (Preact) write <style> elements and style attributes, with no way
# to hand them a nonce. Styles cannot run script; scripts stay this site's files only there too.
EDITOR_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
BASICS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
HSTS = "max-age=31536000"  # over HTTPS: this site only over HTTPS for a year


def _headers(response: Response) -> Response:
    for name, value in BASICS.items():
        response.headers.setdefault(name, value)
    policy = PAGE_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Trust `proxy_hops` reverse proxies' X-Forwarded-For/-Proto; Secure cookies; the headers."""
    settings = app.extensions["cppcc"]["settings"]
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    app.config["SESSION_COOKIE_SECURE"] = settings.secure_cookies
    app.session_interface = SessionCookies()
    app.after_request(_headers)
