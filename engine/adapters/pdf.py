"""Printed documents: an HTML template rendered with Jinja and printed to PDF by WeasyPrint.

The templates are files. A region replaces one by putting a file of the same name in
regions/<code>/templates/; the others come from processes/templates/ (the defaults). The
text is set in a Chinese font installed from Debian (bin/print-libs, bin/cjk-font: Noto
CJK). Templates are trusted files, the values they show are escaped, and the printer loads
nothing from anywhere (no address in a template or a value is ever fetched).
"""
from pathlib import Path
from typing import Any, Never

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.model.errors import EngineError
from engine.profile.region import Region

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "processes" / "templates"
PDF_TYPE = "application/pdf"


class PrintUnavailable(EngineError):
    """The PDF printer (WeasyPrint with its system libraries) is not installed here."""

    status = 503


def template_dirs(region: Region) -> list[Path]:
    """Where templates are looked up, the region's own first."""
    own = Path(region.folder) / "templates" if region.folder else None
    return [d for d in (own, DEFAULT_TEMPLATES) if d is not None and d.is_dir()]


def render_html(region: Region, name: str, context: dict) -> str:
    """The HTML of template `name` (e.g. reply_letter.html) with `context`."""
    env = Environment(loader=FileSystemLoader([str(d) for d in template_dirs(region)]),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template(name).render(**context)


def render_pdf(region: Region, name: str, context: dict) -> bytes:
    """The PDF of template `name` with `context`. The templates carry their styles inline
    (print.css is included), so the printer fetches nothing: every address is refused."""
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: Pango or its libraries are missing
        raise PrintUnavailable("打印组件（WeasyPrint 及其系统库）未安装，暂时不能生成 PDF；请运行 bin/setup") from err
    html = render_html(region, name, context)
    return weasyprint.HTML(string=html, url_fetcher=_refusing_fetcher(weasyprint)).write_pdf()


def _refusing_fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that loads nothing (WeasyPrint 68+ takes a URLFetcher, older ones a function)."""
    base = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)

    def refuse(url: str, *args: Any, **kwargs: Any) -> Never:
        raise ValueError(f"打印模板不能引用外部资源：{url[:100]}")

    if base is None:
        return refuse
    return type("RefusingFetcher", (base,), {"fetch": lambda self, url, headers=None: refuse(url)})()
