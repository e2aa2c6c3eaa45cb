"""Tools around the engine: the demo data and the demo's movable clock, the
designers' scenario files.

May import: `engine.services`, `engine.queries` and everything below.
"""
