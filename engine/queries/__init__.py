"""The read side: what a page or an API response shows (dossiers, task lists,
search, reports, diagram marks). Queries never change data.

May import: `engine.workflow` and the layers below it.
"""
