"""The HTML report: sections from a small store, escaping, CLI errors, and a headless Chromium
render that checks the page loads without errors and shows every section."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from quantumlimits import report
from quantumlimits.cli import main
from quantumlimits.store import ResultsStore


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one run of each kind the report shows (tiny settings)."""
    from quantumlimits.qv.protocol import run_qv

    path = tmp_path_factory.mktemp("report") / "store.sqlite"
    with ResultsStore(path) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_qv(
            backend="fake_torino",
            widths=[2, 3],
            trials=5,
            shots=100,
            seed=2,
            bootstrap_resamples=100,
            store=store,
        )
    argv = ["classify", "--dataset", "moons", "--models", "logreg,vqc-reupload", "--seeds", "1"]
    assert main([*argv, "--target", "0.9", "--store", str(path), "--out", str(path.parent)]) == 0
    with ResultsStore(path) as store:
        (row,) = store.runs(kind="classify")
        document = store.document(row.run_id)
        # a summary with markup, to check the page escapes what it shows
        store.finish_run(row.run_id, document=document, summary="synthetic <classify>")
    tiny = ["--max-width", "6", "--device-max-width", "4", "--repeats", "1"]
    assert main(["limits", *tiny, "--extrapolate-to", "30", "--store", str(path)]) == 0
    backends = "fake_johannesburg,fake_montreal,fake_torino"
    assert main(["timeline", "--backends", backends, "--max-width", "6", "--store", str(path)]) == 0
    return path


def test_report_has_every_section_and_loads_nothing(
    full_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r" / "report.html"
    assert main(["report", "--store", str(full_store), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    for section in report.SECTIONS:
        assert f'<section id="{section}">' in text
    assert text.count("data:image/png;base64,") == 4  # QV, diminishing, limits, timeline
    assert "<script" not in text and "<link" not in text
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing fetched from the network
    assert "synthetic &lt;classify&gt;" in text and "vqc-reupload" in text
    assert "reported" in text and "research.ibm.com/blog/quantum-volume-256" in text
    assert "Device faster" in text and "Memory wall" in text
    # the summary opens the page and reads the same runs: QV, the limits crossing, classify
    summary = text.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert text.index('<section id="summary">') < text.index('<section id="qv">')
    assert "fake_torino" in summary and "exact simulation" in summary  # either answer
    assert "moons" in summary and "vqc-reupload" in summary


def test_empty_store_says_so_in_every_section(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "empty.sqlite") as store:
        text = report.render(store=store)
    for phrase in (
        "Nothing measured yet",
        "No QV runs",
        "No classify runs in the store",
        "No classify runs with accuracy",
        "No limits run",
        "No timeline run",
    ):
        assert phrase in text
    assert "Quantinuum" in text  # the reported table shows even without a timeline run


def test_classify_points_read_the_classify_document(full_store: Path) -> None:
    with ResultsStore(full_store) as store:
        (row,) = store.runs(kind="classify")
        points = report.classify_points(row.run_id, store.document(row.run_id))
    families = {p.model: p.family for p in points}
    assert families == {"logreg": "classical", "vqc-reupload": "quantum"}
    assert all(0.0 <= p.accuracy <= 1.0 and p.wall_seconds is not None for p in points)
    assert all((p.qpu_seconds is None) == (p.family == "classical") for p in points)
    assert sum(p.last for p in points) == 2  # one curve end per model (one seed)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["report", "nonexistent-run"], "no run"),
        (["report", "--out", "."], "is a folder"),
        (["report", "--store", "missing.sqlite"], "no results store"),
    ],
)
def test_report_bad_input(
    argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantumlimits.store import ResultsStore

    ResultsStore(tmp_path / "s.sqlite").close()
    if "--store" not in argv:
        argv = [*argv, "--store", str(tmp_path / "s.sqlite")]
    else:
        argv = [str(tmp_path / a) if a.endswith(".sqlite") else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


_PROBE = """<script>window.addEventListener("load", function () {
  var imgs = [].slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var missing = %s.filter(function (id) {
    var el = document.getElementById(id);
    return !el || el.getBoundingClientRect().height <= 0;
  });
  var d = document.createElement("div");
  d.id = "ql-check";
  d.textContent = "images=" + imgs.length + " broken=" + broken.length
    + " missing=" + missing.join(",") + ".";
  document.body.appendChild(d);
});</script>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium; .ci/run does it)",
)
def test_report_renders_in_headless_chromium(full_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--store", str(full_store), "--out", str(out)]) == 0
    # The report itself has no scripts; a copy gets a probe that records what the browser saw.
    sections = "[" + ",".join(f'"{s}"' for s in report.SECTIONS) + "]"
    probed = tmp_path / "probed.html"
    probed.write_text(out.read_text().replace("</body>", _PROBE % sections + "</body>"))
    profile = tmp_path / "chromium-profile"
    cmd = [
        str(_chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--window-size=1300,2000",
        "--dump-dom",
        probed.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<div id="ql-check">([^<]*)</div>', done.stdout)
    assert match, "the page did not finish loading"
    check = match.group(1)
    images = int(re.search(r"images=(\d+)", check).group(1))  # type: ignore[union-attr]
    assert images == 4 and "broken=0" in check and check.endswith("missing=."), check
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console  # no script errors, no blocked or failed resource loads
    for heading in (
        "What the store says",
        "Quantum volume runs",
        "Classifier runs",
        "Diminishing returns",
    ):
        assert heading in done.stdout
