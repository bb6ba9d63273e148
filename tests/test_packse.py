"""packse's single-target scenarios, each served on 127.0.0.1 and locked by symres.

``scripts/packse_scenarios.py`` runs the same scenarios beside uv and counts matches.
Each scenario here must match as uv's own tests judge it, except the deliberate policy
differences of ``tests.packse.POLICY``, which must keep behaving as the policy says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symres.cli import main
from tests import packse

SCENARIOS = packse.load()


def test_the_scenarios_are_all_there() -> None:
    assert len(SCENARIOS) == 109
    assert set(packse.POLICY) <= {s.name for s in SCENARIOS}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: packse.Scenario, tmp_path: Path, capsys, monkeypatch) -> None:
    dists = tmp_path / "dists"
    dists.mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("\n".join(scenario.root) + "\n")
    with packse.serve(scenario, dists) as server:
        code = main(["lock", "-q", "-i", server.url, *scenario.lock_args(), "requirements.in"])
    _, err = capsys.readouterr()
    lock = tmp_path / "requirements.txt"
    pins = packse.pins_of(lock.read_text()) if lock.is_file() and code == 0 else {}
    wrong = packse.judge(scenario, packse.Outcome(code, pins, 0.0, err))
    if scenario.name in packse.POLICY:
        assert wrong is not None, f"no longer a policy difference: {packse.POLICY[scenario.name]}"
        return
    assert wrong is None, f"{wrong}\n{err}"
    if code == 1:  # every failure names its cause in one line, then a hint
        assert err.startswith("error: ") and "\nhint: " in err, err
