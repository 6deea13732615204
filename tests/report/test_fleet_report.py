"""report.yml renders the fleet on one page: checked in headless Chromium, by the DOM it builds
and by the pixels of a screenshot (bars, failure chips, header), on a real provisioned fleet."""
import os
import shutil
import subprocess

import pytest

from factory.harness import Factory, principal_for
from localnet.testing import LocalnetProcess
from png import count_near, read_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
GREEN, RED, HEADER = (0x1F, 0x9D, 0x6B), (0xD6, 0x45, 0x45), (0x29, 0x30, 0x6B)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A fleet of three good canisters and one whose install failed, and its report page."""
    with LocalnetProcess() as net:
        factory = Factory(net, tmp_path_factory.mktemp("report"))
        good = factory.inventory("good.yml", {f"{who}-user": ("user", {"owner": principal_for(who)})
                                              for who in ("alice", "bob", "carol")})
        assert factory.play("provision.yml", good, forks=3).rc == 0
        bad = factory.inventory("bad.yml", {"dave-user": ("user", {"owner": principal_for("dave")})})
        # The fleet installs from its chunk store; the rollback's drain uses install_code.
        for method in ("install_chunked_code", "install_code"):
            net.faults({"match": {"method": method}, "action": "http_503", "count": None})
        assert factory.play("provision.yml", bad).rc != 0
        net.faults(clear=True)
        page = os.path.join(factory.workdir, "fleet-report.html")
        run = factory.play("report.yml", extra_vars={"report_path": page})
        assert run.rc == 0, run.explain()
        yield factory, page


def chromium(factory, *args):
    assert CHROMIUM, "needs the Debian package chromium"
    profile = os.path.join(factory.workdir, f"chromium-profile-{len(os.listdir(factory.workdir))}")
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_dom_lists_every_canister_with_its_figures(report):
    factory, page = report
    dom = chromium(factory, "--dump-dom", f"file://{page}")
    entries = factory.entries()
    for name, entry in entries.items():
        assert name in dom
        if entry["status"] == "active":
            assert entry["canister_id"] in dom
    # The faults refuse every install, the rollback's drain too: a canister whose cycles
    # cannot be drained is kept (nothing burnt), so the failed entry keeps its canister.
    live = {c["id"] for c in factory.canisters()}
    assert entries["dave-user"]["status"] == "failed" and entries["dave-user"]["canister_id"] in live
    assert len(live) == 4 and f'id="kpi-canisters">{len(live)}<' in dom, "the page counts every live canister"
    assert "Fleet by template and status" in dom and "Days left" in dom
    assert "503" in dom, "the failure's error is not on the page"


def test_screenshot_shows_bars_chips_and_header(report):
    factory, page = report
    shot = os.path.join(factory.workdir, "fleet-report.png")
    chromium(factory, "--window-size=1400,2000", f"--screenshot={shot}", f"file://{page}")
    width, height, rows = read_png(shot)
    assert (width, height) == (1400, 2000)
    assert count_near(rows[:60], HEADER, 30) > 1000, "no header band"
    assert count_near(rows, GREEN) > 2000, "no green cycle bars or status chips"
    assert count_near(rows, RED) > 200, "the failed canister is not marked"
    blank = count_near(rows, (0xF6, 0xF7, 0xFB), 2)
    assert blank < width * height * 0.8, "the page is mostly empty"
