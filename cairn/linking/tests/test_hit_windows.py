# ruff: noqa: F811 - ``forces`` is a fixture imported from the hit tests
"""A selector named by more reports than HIT_FANOUT_LIMIT: a report released or widened later is still told."""

from __future__ import annotations

import pytest

from cairn.intelligence import services
from cairn.linking import services as linking
from cairn.linking.tests.test_hits import forces, notes, phone, submit  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_window(monkeypatch) -> None:
    monkeypatch.setattr(linking, "HIT_FANOUT_LIMIT", 2)


def _file(author, text: str, *, level: str = "shared", source: str = "2", capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return submit(author, text, phone(), level=level, source=source)


def test_a_report_released_later_is_told_to_a_side_it_was_hidden_from(
    forces, django_capture_on_commit_callbacks
) -> None:
    """Bracken's report awaited review when Alder filed on the hot phone; released, it is the newest report
    on the phone, and Alder hears of it (a review of a per-side window design found it lost this)."""
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    waiting = _file(forces["bracken"], "Low grade tip on 07700 900461.", source="3", capture=capture)
    _file(forces["alder"], "Alder's sighting of 07700 900461.", capture=capture)
    assert not any(waiting.reference in n.text for n in notes(forces["alder"]))
    with capture(execute=True):
        services.report_review(
            actor=forces["bracken.supervisor"], report=waiting, changes={"dissemination": "shared"}, reason="ok"
        )
    assert any(waiting.reference in n.text for n in notes(forces["alder"])), [n.text for n in notes(forces["alder"])]


def test_a_report_widened_later_is_told_to_a_side_it_was_hidden_from(
    forces, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    secret = _file(forces["bracken"], "Source: 07700 900461.", level="confidential", capture=capture)
    _file(forces["alder"], "Alder's sighting of 07700 900461.", capture=capture)
    with capture(execute=True):
        services.report_edit(
            actor=forces["bracken.supervisor"], report=secret, changes={"dissemination": "shared"}, reason="agreed"
        )
    assert any(secret.reference in n.text for n in notes(forces["alder"])), [n.text for n in notes(forces["alder"])]
