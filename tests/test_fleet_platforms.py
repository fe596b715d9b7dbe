"""Which meetings a worker offers, and how many it runs at once.

A worker offers the janus and web families whose parts this machine has (web: Playwright and a
Chromium that runs), says why it leaves one out, and sizes its concurrency for the costliest
meeting it offers. Real binaries: Debian's chromium, and /bin/false as one that is there but
does not run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meetbot.cli import main
from meetbot.config.schema import BrowserSettings
from meetbot.errors import ConfigError
from meetbot.fleet.platforms import (
    CORES_PER_MEETING,
    JANUS,
    WEB,
    Offer,
    concurrency,
    detect,
    family,
    parse_families,
)


def test_concurrency_is_the_cores_over_the_costliest_offered_meeting() -> None:
    assert CORES_PER_MEETING == {JANUS: 1.0, WEB: 3.0}
    assert concurrency((JANUS,), cores=2) == 2
    assert concurrency((JANUS,), cores=16) == 16
    assert concurrency((WEB,), cores=16) == 5  # floor(16 / 3)
    assert concurrency((JANUS, WEB), cores=16) == 5  # sized as if every meeting were a browser
    assert concurrency((WEB, JANUS), cores=12) == 4
    assert concurrency((JANUS, WEB), cores=2) == 1  # never zero: one meeting at least
    assert concurrency((WEB,), cores=1) == 1
    with pytest.raises(ConfigError, match="offering no platform"):
        concurrency((), cores=4)


def test_platform_list_names_families_in_one_line() -> None:
    assert parse_families("janus,web") == (JANUS, WEB)
    assert parse_families(" web , web ") == (WEB,)
    for bad in ("browser", "", "janus,meet"):
        with pytest.raises(ConfigError, match="comma-separated list of janus, web") as caught:
            parse_families(bad)
        assert "\n" not in str(caught.value)
    assert family("janus") == JANUS
    assert {family(p) for p in ("janus_videoroom", "meet", "teams", "zoom", "jitsi")} == {WEB}


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_machine_with_chromium_offers_web_and_one_without_says_why_not() -> None:
    assert detect(None, BrowserSettings()) == Offer((JANUS, WEB))
    assert detect((WEB,), BrowserSettings()).families == (WEB,)  # the operator restricts

    wrong = detect(None, BrowserSettings(executable="/opt/no-chromium/chromium"))
    assert wrong.families == (JANUS,)
    ((kind, why),) = wrong.lacking
    assert kind == WEB
    assert "browser.executable '/opt/no-chromium/chromium' is not an executable file" in why
    said = wrong.refusal("janus_videoroom")
    assert said is not None
    assert said.startswith("this worker cannot run web meetings (janus_videoroom): ")
    assert wrong.refusal("janus") is None

    broken = detect((WEB,), BrowserSettings(executable="/bin/false"))  # there, but no browser
    assert broken.families == ()
    assert "Chromium (/bin/false) does not run" in dict(broken.lacking)[WEB]

    assert Offer((WEB,)).refusal("janus") == "this worker runs web meetings, not janus"
    with pytest.raises(ValueError, match="platform families are"):
        Offer(("web",))  # type: ignore[arg-type]  # a name, not a Family


def test_worker_start_up_says_what_it_cannot_offer_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.toml").write_text('[chapter]\nname = "Riverside"\n')
    worker = ["fleet", "worker", "--chapters", str(tmp_path)]
    assert main([*worker, "--platforms", "browser"]) == 2
    (said,) = capsys.readouterr().err.strip().splitlines()
    assert "--platforms 'browser': give a comma-separated list of janus, web" in said

    # Asked for web meetings only, on a machine whose Chromium path is wrong: nothing to run,
    # said before any job is taken.
    monkeypatch.setenv("MEETBOT_BROWSER__EXECUTABLE", str(tmp_path / "chromium"))
    assert main([*worker, "--platforms", "web"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"meetbot fleet worker: not offering web meetings: browser.executable "
        f"'{tmp_path / 'chromium'}' is not an executable file; set it to Chromium's binary or "
        "leave it empty for Debian's chromium",
        "meetbot fleet worker: no platform to offer; nothing to run",
    ]
