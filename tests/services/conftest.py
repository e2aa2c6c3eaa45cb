"""Service tests on a fake unit of work (fake_uow.py): the commands of engine/services called
directly, their rows in memory, no database and no app. `runtime` (the default region's forms
and diagrams, parsed once per process) and `settings` come from tests/conftest.py; nothing
here asks for its `database`."""
