"""A region's profile as the engine reads it: the region file and its JSON
schema (`region`, checked by `region_checks`), the unit directory, the forms
(JSON Schema) and the rules a region adds to forms.

May import: `engine.model`. Never the workflow, services or adapters.
"""
