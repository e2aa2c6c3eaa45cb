"""Errors the engine raises; each carries a message a person can act on (zh-CN)."""

from typing import Any


class EngineError(Exception):
    """Base of the engine's errors. `message` is shown to the user."""

    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(EngineError):
    """The thing asked for does not exist, or the user may not know it exists."""

    status = 404


class Forbidden(EngineError):
    """The user is known but may not do this."""

    status = 403


class Unauthorized(EngineError):
    """No valid credentials."""

    status = 401


class Conflict(EngineError):
    """The task was already done, or the case changed since it was read."""

    status = 409


class InvalidForm(EngineError):
    """Submitted form data failed its JSON Schema; `errors` lists each field."""

    status = 422

    def __init__(self, message: str, errors: list) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors


class ProcessFault(EngineError):
    """A diagram failed while running (a script or condition raised): not the user's fault."""

    status = 500


class DefinitionError(EngineError):
    """A diagram, decision table or form is invalid; `problems` name file and element."""

    status = 422

    def __init__(self, problems: list) -> None:
        lines = "\n".join(f"{p['file']} [{p.get('element') or '-'}]: {p['message']}" for p in problems)
        super().__init__(f"流程定义有 {len(problems)} 处错误：\n{lines}", problems=problems)
        self.problems = problems
