"""The proposal-handling engine: parses diagrams, runs cases, stores them.

Nothing in this package imports Flask. Entry points (the HTTP API, the command
line) call the service functions in `engine.services.cases`, `engine.queries.records` and
`engine.services.accounts`, each inside an `engine.adapters.db.UnitOfWork`.
"""
