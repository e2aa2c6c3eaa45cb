"""The JSON API: one module per resource, each registering its routes with
`init_app(app)`, plus the cross-cutting parts (errors, input checks, security
headers, the OpenAPI document).

May import: `engine.services`, `engine.queries` and the layers below them (mostly
`engine.model` for errors and limits, `engine.definitions.versions` for who designs),
Flask, `api.error_pages`. Never SpiffWorkflow or SQLAlchemy sessions; no queries and no
commits (docs/architecture.md: the transaction rule).
"""
