"""The JSON API: one module per resource, each registering its routes with
`init_app(app)`, plus the cross-cutting parts (errors, input checks, security
headers, the OpenAPI document).

May import: `engine.services`, `engine.queries`, `engine.model`, Flask. Never SpiffWorkflow
or SQLAlchemy sessions.
"""
