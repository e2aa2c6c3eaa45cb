"""What every test app compiles again, compiled once per process instead.

The suite makes a fresh app for almost every test (about a thousand a run). Each one
compiled its ~105 URL rules (werkzeug generates and compiles two Python functions a rule:
25 of create_app's 44 ms) and every template it rendered (Jinja compiles a template per app).
Both are the same for every app of the process, so tests/conftest.py installs:

- `Rule`, a werkzeug Rule whose URL builders are compiled once per distinct rule: the
  generated function takes the rule as its `.self` argument, so one code object serves
  every app's copy of the rule (`Flask.url_rule_class`, the hook Flask offers for this);
- one in-memory Jinja bytecode cache shared by every app (`Flask.jinja_options`): Jinja
  checks each template's source against the cached code's checksum, so a changed
  template is compiled again.

Only tests use them; the service builds one app per process.
"""
from flask import Flask
from jinja2 import BytecodeCache
from werkzeug.routing import Rule as WerkzeugRule

_BUILDERS: dict = {}


class Rule(WerkzeugRule):
    """A URL rule whose two builder functions are compiled once per distinct rule."""

    def _compile_builder(self, append_unknown: bool = True):
        # what the generated code reads: the parsed rule (trace), the defaults folded into it
        # and the converters' kinds (a default of a variable part is converted at compile time)
        key = (self.rule, append_unknown, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               tuple((name, type(conv)) for name, conv in self._converters.items()))
        found = _BUILDERS.get(key)
        if found is None:
            found = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return found


class SharedBytecode(BytecodeCache):
    """Compiled templates kept in memory for every app of the process."""

    def __init__(self) -> None:
        self.codes: dict = {}

    def load_bytecode(self, bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored (recompiled) when the source's checksum differs

    def dump_bytecode(self, bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


def install() -> None:
    """Make every Flask app of this process use the shared rule builders and templates."""
    Flask.url_rule_class = Rule
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedBytecode()}
