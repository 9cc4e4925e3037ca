"""Executed report notebook -> self-contained HTML -> A4 PDF, all offline.

- ``export_html``: nbconvert's HTMLExporter, in process, with ``templates/report`` (no code, no
  prompts, no CDN script, a cover from the practice details). The file opens without network.
- ``find_browser`` / ``print_pdf``: headless Chromium (or Chrome, Edge) prints that HTML to an A4
  PDF with "Page x of y" footers. Without a browser the PDF is skipped; ``PDF_MISSING_NOTE``
  says how to get it.
- ``count_drawn_plots``: a check that the charts really draw with every network lookup blocked.

Every file is written under a temporary name in the target folder, then renamed into place, so a
failed step never leaves a half-written report behind.

Longer than 400 lines because the HTML export, the PDF printing and the offline draw check share the
browser discovery, process clean-up and atomic writes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import mistune
import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

from ccm_assess.errors import ReportError
from ccm_assess.reference import bundled_dir

#: The nbconvert template ``report/`` (conf.json, index.html.j2, static/) in the templates
#: folder (``reference.bundled_dir``).
TEMPLATE_NAME = "report"

#: Cell tags honoured by the export (nbconvert TagRemovePreprocessor).
REMOVE_CELL_TAGS = frozenset({"remove_cell", "parameters", "injected-parameters"})
REMOVE_INPUT_TAGS = frozenset({"remove_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})

BROWSER_ENV = "CCM_ASSESS_BROWSER"
BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "msedge",
)
BROWSER_TIMEOUT_S = 120.0
PRINT_ATTEMPTS = 2
"""A browser that dies of a signal of its own while printing is started once more (Chromium
aborted now and then in the test suite, from a temporary folder too long for its sockets:
`SOCKET_PATH_BYTES`); one that exits with an error status is not."""

PDF_MISSING_NOTE = (
    "No PDF was written because no Chromium-based browser was found; report.html and the "
    "workbook are complete. To get report.pdf, either install Chromium or Google Chrome "
    "(Debian/Ubuntu: sudo apt-get install chromium) and run again, or point to a browser you "
    f"already have with --browser PATH (or the {BROWSER_ENV} environment variable), or open "
    "report.html in a browser and print it to PDF (A4)."
)

# Headless Chromium without first-run, sync, update or other background traffic; every host
# name fails to resolve, so nothing the page or the browser asks for can leave the machine.
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=10000",
)
# Harmless stderr lines of every Debian Chromium launch (no D-Bus; its wrapper script).
_STDERR_NOISE = ("dbus", "unexpected operator")


def export_html(
    executed_nb_path: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    *,
    practice: str,
    as_of: dt.date | str,
    prepared_by: str,
) -> Path:
    """Write the client HTML report of an executed notebook; returns ``html_path``.

    Code, prompts, stderr streams and cells tagged ``remove_cell``, ``parameters`` or
    ``injected-parameters`` are left out (``remove_input``/``remove_output`` hide one part).
    ``practice``, ``as_of`` (date or ISO text) and ``prepared_by`` feed the cover and the page
    footer through ``nb.metadata["ccm_report"]``; they are shown as text, never as markup.
    Raises ``ReportError`` when the notebook cannot be read or the result would not work offline.
    """
    source, target = Path(executed_nb_path), Path(html_path)
    try:
        nb = nbformat.read(source, as_version=4)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the executed notebook {source}: {exc}") from exc
    date = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(as_of)
    title = f"{practice} – CCM readiness assessment"
    nb.metadata["title"] = title
    nb.metadata["ccm_report"] = {
        "practice": practice,
        "as_of": date.isoformat(),
        "as_of_text": f"{date:%B} {date.day}, {date.year}",
        "prepared_by": prepared_by,
    }
    body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    _check_self_contained(body, source)
    _write_atomic(target, body.encode("utf-8"))
    return target


class _ReportHTMLExporter(HTMLExporter):
    """HTMLExporter whose Markdown knows no TeX math: ``$4,200 ... $50,400`` stays two dollar
    amounts (the report ships without MathJax, and nbconvert would read ``$...$`` as math)."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        renderer = IPythonRenderer(
            escape=False,
            attachments=context.get("cell", {}).get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        parser = MarkdownWithMath(
            renderer=renderer,
            block=mistune.BlockParser(),
            inline=mistune.InlineParser(hard_wrap=False),
        )
        return parser.render(source)


def _html_exporter() -> HTMLExporter:
    templates = bundled_dir("templates")
    if not (templates / TEMPLATE_NAME / "index.html.j2").is_file():
        raise ReportError(
            f"the report template is missing from {templates / TEMPLATE_NAME}; "
            "reinstall ccm-assess (pip install --force-reinstall ccm-assess)"
        )
    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(templates)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_anchor_links = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    return _ReportHTMLExporter(config=c)  # type: ignore[no-untyped-call]  # nbconvert: untyped


class HtmlScan(HTMLParser):
    """What a page would load from outside itself (``loads``: ``src`` of any tag, ``href`` of
    ``<link>``, ``url()`` and ``@import`` in ``<style>``, except inline ``data:`` and ``#``
    fragments), inlined plotly.js copies (``plotly_js``) and plot divs (``plot_divs``).
    Links (``<a href>``) load nothing and are allowed; script bodies are not read as markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.plotly_js = 0
        self.plot_divs = 0
        self._raw_text_tag = ""  # "script" or "style" while inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href") if tag == "link" else ("src",):
            url = values.get(name) or ""
            if url and not url.startswith(_INLINE):
                self.loads.append(url)
        if tag == "div" and "plotly-graph-div" in (values.get("class") or "").split():
            self.plot_divs += 1
        self._raw_text_tag = tag if tag in ("script", "style") else ""

    def handle_endtag(self, tag: str) -> None:
        self._raw_text_tag = ""

    def handle_data(self, data: str) -> None:
        if self._raw_text_tag == "script" and data.lstrip().startswith("/**\n* plotly.js v"):
            self.plotly_js += 1
        elif self._raw_text_tag == "style":
            self.loads.extend(_CSS_LOAD.findall(data))


_INLINE = ("data:", "#")
# url(...) or @import in CSS whose target is not inline data or a fragment.
_CSS_LOAD = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?!data:|#)[^'")\s]+)""")


def scan_html(markup: str) -> HtmlScan:
    """Scan exported HTML for external loads, plotly.js copies and plot divs."""
    scan = HtmlScan()
    scan.feed(markup)
    scan.close()
    return scan


def _check_self_contained(markup: str, source: Path) -> None:
    scan = scan_html(markup)
    if scan.loads:
        raise ReportError(
            f"the report from {source.name} would load {len(scan.loads)} file(s) from outside "
            f"the report when opened (first: {scan.loads[0][:120]}); it must be self-contained. "
            "Show charts with ccm_assess.outputs.charts.use_offline_renderer() and embed images "
            "as data."
        )
    if scan.plot_divs and scan.plotly_js != 1:
        raise ReportError(
            f"the report from {source.name} has {scan.plot_divs} chart(s) but "
            f"{scan.plotly_js} copies of plotly.js; call charts.use_offline_renderer() once "
            "before the first chart and do not tag that chart's cell remove_cell"
        )


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _publish(tmp: Path, path: Path) -> None:
    """Rename a finished temp file onto ``path`` with ordinary permissions (mkstemp's are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)
    os.replace(tmp, path)


def _install_paths() -> list[Path]:
    """Usual macOS and Windows install locations of Chromium, Chrome and Edge."""
    mac = [
        Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
        Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
        Path("/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
    ]
    windows_roots = [
        os.environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
    ]
    windows = [
        Path(root, *parts)
        for root in windows_roots
        if root
        for parts in (
            ("Google", "Chrome", "Application", "chrome.exe"),
            ("Chromium", "Application", "chrome.exe"),
            ("Microsoft", "Edge", "Application", "msedge.exe"),
        )
    ]
    return mac + windows


def find_browser(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The browser that prints the PDF, or None when there is none.

    Order: ``explicit`` (``--browser``), then ``$CCM_ASSESS_BROWSER``, then ``chromium``,
    ``chromium-browser``, ``google-chrome``, ``google-chrome-stable``, ``chrome``,
    ``microsoft-edge``, ``msedge`` on PATH, then the usual macOS/Windows install paths.
    A path given explicitly or in the environment that does not exist raises ``ReportError``.
    """
    for given, origin in ((explicit, "--browser"), (os.environ.get(BROWSER_ENV), BROWSER_ENV)):
        if given:
            found = Path(given) if Path(given).is_file() else shutil.which(str(given))
            if found is None:
                raise ReportError(
                    f"{origin} names {given}, which is not a browser program on this machine; "
                    "give the full path to Chromium, Chrome or Edge, or leave it out"
                )
            return Path(found)
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return Path(found)
    return next((path for path in _install_paths() if path.is_file()), None)


def print_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    browser: str | os.PathLike[str],
    timeout: float = BROWSER_TIMEOUT_S,
) -> Path:
    """Print ``html_path`` to an A4 PDF with headless ``browser``; returns ``pdf_path``.

    Page size, margins and the "Page x of y" footer come from the report's print CSS.
    Raises ``ReportError`` (the HTML is untouched) when the browser fails or times out (s).
    """
    source, target = Path(html_path).resolve(), Path(pdf_path)
    if not source.is_file():
        raise ReportError(f"cannot print {source}: the file does not exist")
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".pdf")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        for _ in range(PRINT_ATTEMPTS):
            done = _run_browser(
                browser,
                [f"--print-to-pdf={tmp}", "--no-pdf-header-footer", source.as_uri()],
                timeout=timeout,
                action="print the PDF",
            )
            with tmp.open("rb") as handle:
                printed = handle.read(5) == b"%PDF-"
            if printed or done.returncode >= 0:
                break  # printed, or the browser exited on its own: another try would fail too
        if not printed:
            raise ReportError(
                f"{Path(browser).name} did not print {source.name} to PDF (exit status "
                f"{done.returncode}{_stderr_tail(done.stderr)}); report.html and the workbook "
                "are complete: open report.html in a browser and print it to PDF"
            )
        _publish(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def count_drawn_plots(
    html_path: str | os.PathLike[str],
    *,
    browser: str | os.PathLike[str],
    timeout: float = BROWSER_TIMEOUT_S,
) -> int:
    """How many ``.plotly-graph-div`` charts hold a drawn ``svg.main-svg`` once the page loads.

    Loads the file in headless ``browser`` with every host name unresolvable and a network log
    on; raises ``ReportError`` if the page tried to fetch anything over the network.
    """
    source = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="ccm-netlog-") as scratch:
        netlog = Path(scratch, "net.json")
        done = _run_browser(
            browser,
            ["--window-size=1280,2400", f"--log-net-log={netlog}", "--dump-dom", source.as_uri()],
            timeout=timeout,
            action="load the report",
        )
        requests = _page_requests(netlog)
    if requests:
        raise ReportError(f"{source.name} tried to reach the network when opened: {requests[:3]}")
    counter = _DrawnPlots()
    counter.feed(done.stdout.decode("utf-8", errors="replace"))
    counter.close()
    return counter.drawn


class _DrawnPlots(HTMLParser):
    """Counts plot divs of a rendered DOM that contain an ``svg.main-svg``."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = 0
        self._depth = 0  # div nesting depth inside the current plot div, 0 when outside
        self._found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and self._depth:
            self._depth += 1
        elif tag == "div" and "plotly-graph-div" in classes:
            self._depth, self._found = 1, False
        elif tag == "svg" and self._depth and "main-svg" in classes and not self._found:
            self._found = True
            self.drawn += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth:
            self._depth -= 1


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page (not the browser itself) asked for over the network, from a Chromium
    net log. Browser-internal requests carry the initiator "not an origin"."""
    try:
        log = json.loads(netlog.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"the browser wrote no readable network log: {exc}") from exc
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return sorted(
        {
            params["url"]
            for event in log["events"]
            if event["type"] == start_job
            and (params := event.get("params", {})).get("url", "").startswith(("http", "ws"))
            and params.get("initiator") != "not an origin"
        }
    )


SOCKET_PATH_BYTES = 107
"""Longest path of a Unix domain socket (Linux `sun_path` less its NUL). Chromium makes its
process sockets in its temporary folder (`.org.chromium.Chromium.XXXXXX/SingletonSocket`,
46 characters more) and aborts (SIGABRT, no PDF) when the path is longer: seen with a
78-character TMPDIR, as pytest's and some CI runners' are."""
_CHROMIUM_SOCKET = len("/.org.chromium.Chromium.XXXXXX/SingletonSocket")


def _browser_temp_root() -> str | None:
    """Where the browser's throw-away HOME and TMPDIR go: the user's temporary folder, unless
    its path leaves no room for Chromium's sockets; then `/tmp` (None: the default)."""
    root = tempfile.gettempdir()
    room = len(os.path.join(root, "ccm-browser-12345678")) + _CHROMIUM_SOCKET
    if sys.platform == "win32" or room <= SOCKET_PATH_BYTES or not os.access("/tmp", os.W_OK):
        return None
    return "/tmp"


def _run_browser(
    browser: str | os.PathLike[str], args: Sequence[str], *, timeout: float, action: str
) -> subprocess.CompletedProcess[bytes]:
    """Run headless ``browser`` with a throw-away profile, HOME and TMPDIR (a short path:
    `_browser_temp_root`); output is captured."""
    with tempfile.TemporaryDirectory(prefix="ccm-browser-", dir=_browser_temp_root()) as home:
        env = {
            **os.environ,
            "HOME": home,
            "TMPDIR": home,
            "XDG_CONFIG_HOME": str(Path(home, ".config")),
            "XDG_CACHE_HOME": str(Path(home, ".cache")),
            "XDG_DATA_HOME": str(Path(home, ".local", "share")),
        }
        cmd = [str(browser), *_CHROMIUM_FLAGS, f"--user-data-dir={Path(home, 'profile')}", *args]
        try:
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=sys.platform != "win32",
            )
        except OSError as exc:
            raise ReportError(f"cannot start the browser {browser} to {action}: {exc}") from exc
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except BaseException as error:  # a timeout, Ctrl-C or SIGTERM: no orphan browser
            _kill_browser(proc)
            if not isinstance(error, subprocess.TimeoutExpired):
                raise
            raise ReportError(
                f"the browser {browser} did not {action} within {timeout:g} s and was stopped; "
                "report.html and the workbook are complete: open report.html in a browser and "
                "print it to PDF"
            ) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _kill_browser(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser we started and its helper processes (its own process group)."""
    if sys.platform == "win32":
        proc.kill()
    else:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _stderr_tail(stderr: bytes, lines: int = 3) -> str:
    """The last lines of browser stderr, without the D-Bus and wrapper-script noise."""
    text = stderr.decode("utf-8", errors="replace").splitlines()
    tail = [t for t in text if t.strip() and not any(n in t for n in _STDERR_NOISE)][-lines:]
    return f"; browser said: {' | '.join(tail)}" if tail else ""
