"""Offline HTML export, browser discovery and PDF printing (ccm_assess.outputs.export).

The e2e tests run tests/fixtures/tiny_report.ipynb once per module with papermill (one kernel),
export it, and load/print it in headless Chromium when one is installed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from ccm_assess.errors import ReportError
from ccm_assess.outputs import export

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_report.ipynb"
PRACTICE = 'Oak & Elm <script>alert("x")</script> Clinic'
BROWSER = export.find_browser()
needs_browser = pytest.mark.skipif(
    not BROWSER, reason="no Chromium-based browser found (install chromium to run this test)"
)
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="poppler-utils (pdftotext, pdfinfo) not installed",
)


# ---------- the fixture report, executed once ----------


@pytest.fixture(scope="module")
def executed_nb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_report.ipynb run by papermill with monthly_net=5100 (kernel state kept out of ~)."""
    import papermill as pm

    work = tmp_path_factory.mktemp("tiny_report")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
            mp.setenv(var, str(work / var.lower()))
        pm.execute_notebook(
            FIXTURE,
            work / "executed.ipynb",
            parameters={"monthly_net": 5100.0},
            kernel_name="python3",
            cwd=str(work),
            progress_bar=False,
        )
    return work / "executed.ipynb"


@pytest.fixture(scope="module")
def report_html(executed_nb: Path) -> Path:
    return export.export_html(
        executed_nb,
        executed_nb.with_name("report.html"),
        practice=PRACTICE,
        as_of=dt.date(2026, 11, 26),
        prepared_by="Jane Analyst, CCM Advisors",
    )


@pytest.fixture(scope="module")
def html_text(report_html: Path) -> str:
    return report_html.read_text(encoding="utf-8")


def test_fixture_is_committed_without_outputs():
    nb = nbformat.read(FIXTURE, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    assert [c.metadata.get("tags") for c in nb.cells[:2]] == [["parameters"], ["remove_cell"]]


@pytest.mark.e2e
def test_html_shows_no_code_prompts_or_removed_cells(html_text: str):
    assert "use_offline_renderer" not in html_text  # setup code
    assert "fixture setup done" not in html_text  # output of the cell tagged remove_cell
    assert "monthly_net" not in html_text  # parameters and injected-parameters cells
    assert 'class="jp-CodeMirrorEditor' not in html_text  # no code cell input
    assert 'class="jp-InputPrompt' not in html_text
    assert not re.search(r">\s*(In|Out)\s?\[[\d\s]*\]:", html_text)  # prompts like "Out[3]:"


@pytest.mark.e2e
def test_html_is_self_contained(html_text: str):
    scan = export.scan_html(html_text)
    assert scan.loads == []  # no src=, <link href=>, CSS url() or @import to load
    assert scan.plot_divs == 2
    assert scan.plotly_js == 1  # inlined once for both charts
    assert not re.search(r"<script[^>]*\ssrc=", html_text)
    # a citation link is fine: it loads nothing when the report opens
    assert '<a href="https://www.cms.gov/medicare/payment/fee-schedules/physician">' in html_text


@pytest.mark.e2e
def test_html_cover_title_and_footer_escape_the_practice(html_text: str):
    assert 'alert("x")</script>' not in html_text
    escaped = 'Oak &amp; Elm &lt;script&gt;alert("x")&lt;/script&gt; Clinic'
    cover = html_text[html_text.index('<header class="ccm-cover">') :]
    assert escaped in cover[: cover.index("</header>")]
    assert f"<title>{escaped} – CCM readiness assessment</title>" in html_text
    # footer: a CSS string, quote and "<" as CSS escapes
    assert r'content: "Oak & Elm \3c script>alert(\22 x\22 )\3c /script> Clinic"' in html_text
    assert "November 26, 2026" in cover and "Jane Analyst, CCM Advisors" in cover
    assert "Confidential." in cover


@pytest.mark.e2e
def test_html_keeps_parameter_values_tables_and_dollars(html_text: str):
    assert '<div class="kpi-value">$5,100</div>' in html_text  # 5100.0 injected by papermill
    assert ">$4,200</td>" in html_text  # Styler currency format
    # "$4,200 ... $50,400" is two dollar amounts, not TeX math: the bold still renders
    assert "<strong>$4,200 a month</strong>" in html_text
    assert "or $50,400 a year" in html_text
    assert html_text.count("<h2") == 2


@pytest.mark.e2e
@needs_browser
def test_charts_draw_offline(report_html: Path):
    assert export.count_drawn_plots(report_html, browser=BROWSER) == 2


@pytest.mark.e2e
@needs_browser
@needs_poppler
def test_pdf_is_a4_with_sections_on_new_pages_and_footer(report_html: Path):
    pdf = export.print_pdf(report_html, report_html.with_name("report.pdf"), browser=BROWSER)
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 = 210 x 297 mm
    # cover, then one page per h2 section ("Executive summary", "Money")
    assert re.search(r"Pages:\s+3\n", info)

    def page(n: int) -> str:
        args = ["pdftotext", "-f", str(n), "-l", str(n), "-layout", pdf, "-"]
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout

    assert "CCM readiness assessment" in page(1) and "Page 1 of 3" in page(1)
    assert "Executive summary" in page(2) and "$5,100" in page(2) and "Page 2 of 3" in page(2)
    assert "Money" in page(3) and "Hybrid breaks even in month 6" in page(3)
    assert re.search(re.escape(PRACTICE) + r"\s+·\s+Confidential", page(3))  # footer, as text
    assert not list(pdf.parent.glob(".report.pdf.*"))  # temp file renamed, not left behind


# ---------- export_html without a kernel ----------


def _notebook(*outputs: dict) -> nbformat.NotebookNode:
    cell = new_code_cell("x", outputs=list(outputs))
    return new_notebook(cells=[new_markdown_cell("## Section"), cell])


def _export(tmp_path: Path, nb: nbformat.NotebookNode) -> Path:
    nbformat.write(nb, tmp_path / "in.ipynb")
    source, target = tmp_path / "in.ipynb", tmp_path / "r.html"
    return export.export_html(source, target, practice="P", as_of="2026-01-31", prepared_by="Q")


def test_export_refuses_remote_resources(tmp_path: Path):
    img = new_output("display_data", data={"text/html": '<img src="https://e.com/a.png">'})
    with pytest.raises(ReportError, match=r"would load 1 file.*https://e\.com/a\.png"):
        _export(tmp_path, _notebook(img))
    assert not (tmp_path / "r.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.ipynb"]  # no temp file left


def test_export_refuses_charts_without_plotly_js(tmp_path: Path):
    div = new_output("display_data", data={"text/html": '<div class="plotly-graph-div"></div>'})
    with pytest.raises(ReportError, match="1 chart.*0 copies of plotly.js"):
        _export(tmp_path, _notebook(div))


def test_export_writes_readable_file_and_cover(tmp_path: Path):
    html = _export(tmp_path, _notebook(new_output("stream", name="stderr", text="WARNING x")))
    text = html.read_text(encoding="utf-8")
    assert "January 31, 2026" in text and "WARNING x" not in text  # stderr is not shown
    assert stat.S_IMODE(html.stat().st_mode) == 0o666 & ~_umask()  # not mkstemp's 0600


def test_export_unreadable_notebook(tmp_path: Path):
    (tmp_path / "bad.ipynb").write_text("not json", encoding="utf-8")
    with pytest.raises(ReportError, match="cannot read the executed notebook"):
        export.export_html(
            tmp_path / "bad.ipynb",
            tmp_path / "r.html",
            practice="P",
            as_of="2026-01-31",
            prepared_by="Q",
        )


def test_scan_html_sees_loads_not_links_or_script_text():
    scan = export.scan_html(
        "<style>@import 'x.css'; a{background:url(https://e.com/a.png)}"
        " b{background:url(data:image/png;base64,AA)}</style>"
        '<a href="https://cms.gov">link</a><img src="https://i"><link href="//cdn/x.css">'
        '<img src="data:image/png;base64,AA"><svg><use href="#m"></use></svg>'
        '<script>var s = "<img src=https://inside-a-string>";</script>'
    )
    assert scan.loads == ["x.css", "https://e.com/a.png", "https://i", "//cdn/x.css"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------- find_browser ----------


def _fake(folder: Path, name: str, body: str = "exit 0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_browsers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty PATH and no Windows install roots; returns the PATH folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    for var in (export.BROWSER_ENV, "PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA"):
        monkeypatch.delenv(var, raising=False)
    return bin_dir


def test_find_browser_none(no_browsers: Path):
    assert export.find_browser() is None


def test_find_browser_path_order(no_browsers: Path):
    _fake(no_browsers, "google-chrome")
    assert export.find_browser() == no_browsers / "google-chrome"
    _fake(no_browsers, "chromium")
    assert export.find_browser() == no_browsers / "chromium"  # chromium is asked for first


def test_find_browser_env_then_explicit(no_browsers: Path, tmp_path: Path, monkeypatch):
    _fake(no_browsers, "chromium")
    env_browser = _fake(tmp_path / "env", "edge")
    monkeypatch.setenv(export.BROWSER_ENV, str(env_browser))
    assert export.find_browser() == env_browser
    explicit = _fake(tmp_path / "cli", "chrome")
    assert export.find_browser(explicit) == explicit


def test_find_browser_windows_install_path(no_browsers: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    exe = _fake(tmp_path / "local" / "Google" / "Chrome" / "Application", "chrome.exe")
    assert export.find_browser() == exe


def test_find_browser_missing_explicit_or_env(no_browsers: Path, tmp_path: Path, monkeypatch):
    _fake(no_browsers, "chromium")
    with pytest.raises(ReportError, match=r"--browser names .*nope.*full path"):
        export.find_browser(tmp_path / "nope")
    monkeypatch.setenv(export.BROWSER_ENV, str(tmp_path / "gone"))
    with pytest.raises(ReportError, match=f"{export.BROWSER_ENV} names .*gone"):
        export.find_browser()


def test_pdf_missing_note_says_how_to_get_the_pdf():
    note = export.PDF_MISSING_NOTE
    for hint in ("apt-get install chromium", "--browser PATH", "report.html", "print it to PDF"):
        assert hint in note


# ---------- print_pdf failures (fake browsers, no Chromium needed) ----------


def test_print_pdf_browser_that_writes_nothing(tmp_path: Path):
    (tmp_path / "report.html").write_text("<p>x</p>", encoding="utf-8")
    fake = _fake(tmp_path / "bin", "chromium", "echo 'it broke' >&2; exit 3")
    with pytest.raises(ReportError, match=r"did not print.*exit status 3.*it broke.*report\.html"):
        export.print_pdf(tmp_path / "report.html", tmp_path / "report.pdf", browser=fake)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "report.html"]


def test_print_pdf_timeout_stops_the_browser(tmp_path: Path):
    (tmp_path / "report.html").write_text("<p>x</p>", encoding="utf-8")
    fake = _fake(tmp_path / "bin", "chromium", "sleep 30")
    with pytest.raises(ReportError, match=r"did not print the PDF within 0\.3 s and was stopped"):
        export.print_pdf(tmp_path / "report.html", tmp_path / "r.pdf", browser=fake, timeout=0.3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "report.html"]


def _fake_loader(tmp_path: Path, dom: str, requests: list[tuple[str, str]]) -> Path:
    """A fake browser that prints ``dom`` and writes a Chromium-style net log with
    ``requests`` as (url, initiator) URL_REQUEST_START_JOB events."""
    events = [
        {"type": 7, "params": {"url": url, "initiator": initiator}} for url, initiator in requests
    ]
    constants = {"logEventTypes": {"URL_REQUEST_START_JOB": 7}}
    log = json.dumps({"constants": constants, "events": events})
    (tmp_path / "dom.html").write_text(dom, encoding="utf-8")
    (tmp_path / "net.json").write_text(log, encoding="utf-8")
    body = (
        'for a in "$@"; do case "$a" in --log-net-log=*) '
        f'cp {tmp_path / "net.json"} "${{a#--log-net-log=}}";; esac; done\n'
        f"cat {tmp_path / 'dom.html'}"
    )
    return _fake(tmp_path / "bin", "chromium", body)


DOM = (
    '<div class="plotly-graph-div js-plotly-plot"><div><div class="svg-container">'
    '<svg class="main-svg"></svg><svg class="main-svg"></svg></div></div></div>'
    '<div class="plotly-graph-div"></div>'  # not drawn
    '<div class="plotly-graph-div"><div></div><svg class="main-svg"></svg></div>'
    '<svg class="main-svg"></svg>'  # outside any plot div
)


def test_count_drawn_plots_counts_divs_with_a_drawn_svg(tmp_path: Path):
    # the browser's own traffic ("not an origin") is not the page's
    fake = _fake_loader(tmp_path, DOM, [("https://update.googleapis.com/x", "not an origin")])
    (tmp_path / "r.html").write_text("<p>x</p>", encoding="utf-8")
    assert export.count_drawn_plots(tmp_path / "r.html", browser=fake) == 2


def test_count_drawn_plots_fails_when_the_page_reaches_out(tmp_path: Path):
    fake = _fake_loader(tmp_path, DOM, [("https://cdn.plot.ly/plotly.js", "null")])
    (tmp_path / "r.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ReportError, match=r"r\.html tried to reach the network.*cdn\.plot\.ly"):
        export.count_drawn_plots(tmp_path / "r.html", browser=fake)


def test_print_pdf_missing_html(tmp_path: Path):
    with pytest.raises(ReportError, match="does not exist"):
        export.print_pdf(tmp_path / "none.html", tmp_path / "r.pdf", browser="chromium")


def test_a_browser_that_aborts_once_is_started_again(tmp_path: Path):
    """The first start dies of SIGABRT (as Chromium sometimes does under load); the second
    prints. A browser that exits with an error status is not retried."""
    html = tmp_path / "report.html"
    html.write_text("<html><body>report</body></html>", encoding="utf-8")
    marker = tmp_path / "started-once"
    body = (
        f'if [ ! -e "{marker}" ]; then touch "{marker}"; kill -ABRT $$; fi\n'
        'for a in "$@"; do case "$a" in --print-to-pdf=*) printf "%%PDF-1.4" > "${a#*=}";; '
        "esac; done"
    )
    browser = _fake(tmp_path / "bin", "chromium", body)
    pdf = export.print_pdf(html, tmp_path / "report.pdf", browser=browser)
    assert pdf.read_bytes().startswith(b"%PDF-") and marker.exists()
    failing = _fake(tmp_path / "bin2", "chromium", f'touch "{tmp_path / "calls"}-$$"; exit 3')
    with pytest.raises(ReportError, match="exit status 3"):
        export.print_pdf(html, tmp_path / "other.pdf", browser=failing)
    assert len(list(tmp_path.glob("calls-*"))) == 1


def test_the_browser_gets_a_temporary_folder_short_enough_for_its_sockets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chromium aborts (no PDF) when its TMPDIR leaves a socket path over 107 bytes: a 78-
    # character TMPDIR did it every time; the browser is given a short one of its own
    long = tmp_path / ("t" * 90)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    seen = tmp_path / "seen.txt"
    browser = _fake(tmp_path / "bin", "chromium", f'printf %s "$TMPDIR" > "{seen}"')
    done = export._run_browser(browser, [], timeout=30, action="test")
    assert done.returncode == 0
    folder = seen.read_text(encoding="utf-8")
    assert folder.startswith("/tmp/ccm-browser-") and not Path(folder).exists()  # cleaned up
    assert len(folder) + len("/.org.chromium.Chromium.XXXXXX/SingletonSocket") <= 107
    short = Path(tempfile.mkdtemp(dir="/tmp", prefix="s"))  # a short one is kept
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(short))
        export._run_browser(browser, [], timeout=30, action="test")
        assert Path(seen.read_text(encoding="utf-8")).parent == short
    finally:
        shutil.rmtree(short)
