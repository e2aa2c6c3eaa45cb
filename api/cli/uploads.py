"""`cppcc sweep-uploads`: remove uploaded files no attachment refers to (engine/services/upload_sweep.py).

    cppcc sweep-uploads [--dry-run] [--grace-hours H]
        remove the stored files of uploads that never committed (a refused batch, a killed
        request), older than H hours (default 24); --dry-run lists them and removes nothing.
        The timer worker runs the same sweep daily; this is the sweep by hand (docs/operations.md).
"""
import argparse
from datetime import timedelta

from engine.adapters.db import Database, UnitOfWork
from engine.services.attachments import describe_size
from engine.services.upload_sweep import DEFAULT_GRACE, sweep_uploads


def register(sub) -> None:
    """Add the command to the `cppcc` parser."""
    p = sub.add_parser("sweep-uploads", help="清理没有任何附件引用的上传文件（未成功提交的上传留下的）")
    p.add_argument("--dry-run", action="store_true", help="只列出要清理的文件，不删除")
    p.add_argument("--grace-hours", type=_hours, default=DEFAULT_GRACE.total_seconds() / 3600,
                   help="只清理早于这么多小时的文件（默认 24；正在上传的文件不会被清理）")
    p.set_defaults(func=cmd_sweep_uploads)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为小时数，例如 24，而不是“{text}”") from None
    if not 0 <= value <= 24 * 3650:
        raise argparse.ArgumentTypeError("应为 0 到 87600 之间的小时数")
    return value


def cmd_sweep_uploads(args, settings) -> int:
    """Sweep (or list) and say what was found."""
    database = Database(settings.database_url)
    try:
        with UnitOfWork(database) as uow:
            result = sweep_uploads(uow.session, settings, timedelta(hours=args.grace_hours), dry_run=args.dry_run)
    finally:
        database.engine.dispose()
    size = describe_size(result.removed_bytes)
    for path in result.removed:
        print(f"  {path}")
    if args.dry_run:
        print(f"可清理 {len(result.removed)} 个文件（{size}），未删除（去掉 --dry-run 即清理）；"
              f"保留 {result.kept} 个有附件引用或较新的文件")
    else:
        print(f"已清理 {len(result.removed)} 个文件（{size}）；保留 {result.kept} 个有附件引用或较新的文件"
              + (f"，其中 {result.put_back} 个在清理时被新的上传用到，已放回" if result.put_back else ""))
    return 0

