"""The proposal-handling engine: parses diagrams, runs cases, stores them.

Nothing in this package imports Flask. Entry points (the HTTP API, the command
line) call the service functions in `engine.cases`, `engine.queries` and
`engine.accounts`, each inside an `engine.db.UnitOfWork`.
"""
