"""Importing the unit directory (承办单位名录) from an Excel sheet: into the region's
units.yaml and, when the database has a units table, into it (one transaction). The
sheet is read by engine/adapters/units_excel.py.
"""
import os
import tempfile
from pathlib import Path

import yaml
from sqlalchemy import inspect

from engine.adapters.db import Database, UnitOfWork
from engine.adapters.units_excel import read_units, units_yaml, without_units_block
from engine.model.errors import DefinitionError
from engine.profile.region import REGION_FILE, UNITS_FILE, Region, load_region
from engine.services.directory import compare_units, sync_units


def import_units(path: Path, region_dir: Path, database: Database | None = None, dry_run: bool = False) -> dict:
    """Import a sheet into the region's units.yaml and, if `database` has a units table, sync it.

    Nothing is written when any row is wrong, or with `dry_run`. Returns
    {"problems": [RowProblem], "units": [...], "file": {added, changed, removed},
     "database": None | {added, changed, removed, in_use}, "written": bool, "synced": bool,
     "sheet", "rows"}.
    """
    region_dir = Path(region_dir)
    region = _region_for_import(region_dir)
    sheet = read_units(path, region)
    inline = region.units_file == REGION_FILE
    result = {"problems": sheet.problems, "units": sheet.units, "sheet": sheet.sheet, "rows": sheet.rows,
              "file": None, "database": None, "written": False, "synced": False, "moved_inline": inline}
    if sheet.problems:
        return result
    result["file"] = _file_diff(region.units if region.units else [], sheet.units)
    has_table = database is not None and _has_units_table(database)
    if has_table and database is not None:
        with UnitOfWork(database) as uow:
            result["database"] = compare_units(uow.session, sheet.units)
    if dry_run:
        return result
    target, profile = region_dir / UNITS_FILE, region_dir / REGION_FILE
    previous = target.read_text(encoding="utf-8") if target.is_file() else None
    previous_profile = profile.read_text(encoding="utf-8")
    try:
        if inline:  # the directory moves to units.yaml: region.yaml keeps everything else as written
            _write_atomically(profile, without_units_block(previous_profile))
        _write_atomically(target, units_yaml(region, sheet.units))
        fresh = load_region(region_dir)
        if has_table and database is not None:
            with UnitOfWork(database) as uow:
                sync_units(uow.session, fresh)
                uow.commit()
            result["synced"] = True
    except BaseException:
        _write_atomically(profile, previous_profile)
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            _write_atomically(target, previous)
        raise
    result["written"] = True
    return result


def _region_for_import(region_dir: Path) -> Region:
    """The region to import into: its region.yaml must be valid; a broken units.yaml is what the import replaces."""
    try:
        region = load_region(region_dir)
    except DefinitionError as err:
        if not all(p["file"] == UNITS_FILE for p in err.problems):
            raise
        raw = yaml.safe_load((region_dir / REGION_FILE).read_text(encoding="utf-8"))
        return Region(code=raw["code"], name=raw["name"], raw={**raw, "units": []}, folder=region_dir,
                      units_file=UNITS_FILE)
    return region


def _file_diff(old: list[dict], new: list[dict]) -> dict:
    before = {u["id"]: u for u in old}
    after = {u["id"]: u for u in new}
    return {"added": [i for i in after if i not in before],
            "changed": [i for i in after if i in before and before[i] != after[i]],
            "removed": [i for i in before if i not in after]}


def _has_units_table(database: Database) -> bool:
    url = database.url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            return False
    return inspect(database.engine).has_table("units")


def _write_atomically(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".units-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
