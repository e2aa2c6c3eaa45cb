"""The key that signs API tokens and page cookies. There is no fixed default: a key
anyone can read in the source would let anyone sign `{"uid": n}` and be any user.

- CPPCC_SECRET_KEY set: used as it is (at least MIN_LENGTH characters).
- The demo (`cppcc serve --demo`, i.e. bin/demo) without a key: a random key made once
  and kept in the instance folder (mode 0600), so the demo stays logged in across restarts.
- Any other server on PostgreSQL (or another non-SQLite database) without a key: refused,
  since every server process of one database must sign with the same key.
- Otherwise (tests, commands, a one-process SQLite server): a random key for this process.
"""
import os
import secrets
from pathlib import Path

from engine.model.settings import Settings

MIN_LENGTH = 32
KEY_FILE = "secret_key"
_HOW = "可用 python3 -c \"import secrets; print(secrets.token_urlsafe(48))\" 生成"


def resolve(settings: Settings, demo: bool = False) -> str:
    """The key to sign with under `settings` (see the module's rules); ValueError with a
    Chinese message when none may be used."""
    key = (settings.secret_key or "").strip()
    if key:
        if len(key) < MIN_LENGTH:
            raise ValueError(f"CPPCC_SECRET_KEY 太短：至少 {MIN_LENGTH} 个字符的随机字符串（{_HOW}）")
        return key
    if demo:
        return kept_key(Path(settings.instance_dir) / KEY_FILE)
    if not settings.database_url.startswith("sqlite"):
        raise ValueError("未设置 CPPCC_SECRET_KEY：连接正式数据库（如 PostgreSQL）的服务必须配置签名密钥，"
                         f"它用来签发登录凭证。请设置至少 {MIN_LENGTH} 个字符的随机字符串（{_HOW}），"
                         "同一数据库的所有服务进程使用同一个密钥；演示环境（bin/demo）会自动生成。")
    return secrets.token_urlsafe(48)


def kept_key(path: Path) -> str:
    """The random key stored at `path`, made (readable by the owner only) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_text().strip()
    if len(key) < MIN_LENGTH:
        raise ValueError(f"密钥文件 {path} 内容无效（应为至少 {MIN_LENGTH} 个字符）；删除该文件后重新启动即可生成新密钥")
    return key
