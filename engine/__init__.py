"""The proposal-handling engine: parses diagrams, runs cases, stores them.

Its packages are layers (docs/architecture.md), each importing only those below it:
tooling | replay -> services | queries -> workflow -> definitions -> adapters -> rules ->
profile -> model (`lint-imports` checks it). Nothing in this package imports Flask or
`api`. Entry points (the HTTP API, the pages, the command line) call the commands in
`engine.services` and the reads in `engine.queries`, each inside an
`engine.adapters.db.UnitOfWork`.

May import: nothing here but the packages' own imports (this module holds no code).
"""
