"""CSRF protection and Chinese error pages for the page blueprints."""
from flask import Blueprint
from flask_wtf.csrf import CSRFProtect

from api.error_pages import TITLES, engine_error_page, error_page  # noqa: F401 (the pages' error pages)
from engine.model.errors import EngineError

csrf = CSRFProtect()
def protect(bp: Blueprint) -> Blueprint:
    """Check CSRF tokens on every unsafe request of `bp`; engine errors become pages."""
    bp.before_request(csrf.protect)
    bp.register_error_handler(EngineError, engine_error_page)
    return bp
