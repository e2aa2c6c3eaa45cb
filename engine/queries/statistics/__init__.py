"""The committee's year (统计分析, 承办单位考核, 年度报告): read-side arithmetic only.

- flags.py       what each count counts, as SQL over one handling (a proposal and one lead unit)
- indicators.py  the counts and ratios, each defined once, with the region's labels and extras
- compute.py     the figures of a year (session, category, unit, key-only) by SQL aggregates
- assessment.py  unit scores under the region's scoring scheme, with every point explained
- listing.py     the proposals behind a figure (the search's `indicator` and `lead` filters)
- exports.py     each table as an Excel workbook
- report.py      the annual report (提案办理情况报告) as a Word document, from a text template

May import: `engine.profile`, `engine.model` (no Flask, no writes; freezing scores is
engine/services/assessment.py).
"""
