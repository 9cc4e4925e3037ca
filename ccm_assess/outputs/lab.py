"""The report notebook in JupyterLab: the same look as report.html, dollar amounts as text.

JupyterLab typesets every HTML output with MathJax, so "$4,200 a month ... $50,400 a year"
became maths; `HTML` wraps each output in MathJax's ignore classes (``mathjax_ignore`` for
MathJax 3-4 in JupyterLab 4, ``tex2jax_ignore`` for MathJax 2). The key-number cards, callouts
and tables are styled by the report template's CSS, which Lab does not load: `report_style`
displays those rules (not the page frame or print rules, which would restyle Lab itself).
"""

from __future__ import annotations

import re
from typing import Any

from IPython.display import HTML as _IPythonHTML

from ccm_assess.reference import bundled_dir

MATH_OFF = "mathjax_ignore tex2jax_ignore"
REPORT_CSS = ("report", "static", "report.css")
LAB_SECTIONS = ("tables", "key numbers")
"""The report.css sections (``/* ---------- title``) that also style the notebook in Lab."""
_SECTION = re.compile(r"^/\* -{5,} ", flags=re.MULTILINE)
_CCM_VARIABLE = re.compile(r"^\s*--ccm-[\w-]+:[^;\n]*;", flags=re.MULTILINE)


def no_math(markup: str) -> str:
    """`markup` inside a block MathJax leaves alone.

    >>> no_math("<p>$4,200 and $50,400</p>")
    '<div class="mathjax_ignore tex2jax_ignore"><p>$4,200 and $50,400</p></div>'
    """
    return f'<div class="{MATH_OFF}">{markup}</div>'


class HTML(_IPythonHTML):
    """IPython's HTML display object whose content MathJax never typesets."""

    def _repr_html_(self) -> Any:
        shown = super()._repr_html_()  # type: ignore[no-untyped-call]  # IPython: untyped
        if isinstance(shown, tuple):  # (data, metadata)
            return no_math(shown[0]), shown[1]
        return no_math(shown) if shown else shown


def lab_css(css: str) -> str:
    """The rules of report.css that style notebook outputs: its ``--ccm-*`` colours and the
    LAB_SECTIONS sections (text as in the file)."""
    variables = "\n".join(m.group(0).strip() for m in _CCM_VARIABLE.finditer(css))
    sections = _SECTION.split(css)[1:]
    chosen = [s for s in sections if s.lower().startswith(LAB_SECTIONS)]
    return ":root {\n" + variables + "\n}\n" + "\n".join(f"/* {s.strip()}" for s in chosen)


def report_style() -> _IPythonHTML:
    """A ``<style>`` output with `lab_css` of the report template (display it once, first)."""
    css = bundled_dir("templates").joinpath(*REPORT_CSS).read_text(encoding="utf-8")
    return _IPythonHTML(f"<style>\n{lab_css(css)}\n</style>")
