"""A region's profile as the engine reads it: the region file and its JSON
schema (`region`, checked by `region_checks`), the unit directory, the forms
(JSON Schema), the rules a region adds to forms, and the code catalogue
(processes/catalogue.json: roles, deadline kinds, notification kinds... and
their words, which a region may relabel).

May import: `engine.model`. Never the workflow, services or adapters.
"""
