"""`python -m api.cli`: the `cppcc` command."""
from api.cli import main

raise SystemExit(main())
