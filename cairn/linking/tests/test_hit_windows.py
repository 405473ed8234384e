# ruff: noqa: F811 - ``forces`` is a fixture imported from the hit tests
"""A selector named by more reports than HIT_FANOUT_LIMIT: each side hears of hits within its own window."""

from __future__ import annotations

import pytest

from cairn.intelligence import services
from cairn.linking import services as linking
from cairn.linking.models import Hit
from cairn.linking.tests.test_hits import forces, notes, phone, submit  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_window(monkeypatch) -> None:
    monkeypatch.setattr(linking, "HIT_FANOUT_LIMIT", 2)
    monkeypatch.setattr(linking, "HIT_OWN_WINDOW", 2)


def _file(author, text: str, *, level: str = "shared", source: str = "2", capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return submit(author, text, phone(), level=level, source=source)


def test_a_new_report_meets_only_the_newest_reports_its_originator_may_know_of(
    forces, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    oldest = _file(forces["bracken"], "First sighting of 07700 900461.", capture=capture)
    for n in range(2):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    for n in range(3):  # newer than all of Bracken's, and Alder may not know of them
        _file(forces["calder"], f"Source {n}: 07700 900461.", level="confidential", capture=capture)
    mine = _file(forces["alder"], "Alder's sighting of 07700 900461.", capture=capture)
    told = [n.text for n in notes(forces["alder"])]
    # Alder's window holds Bracken's two newest (Calder's hidden three take no place in it).
    assert len(told) == 2 and all("Bracken" in t for t in told), told
    assert not Hit.unscoped_objects.filter(report=oldest, other_report=mine).exists()


def test_each_other_organisation_hears_through_its_own_newest_reports(
    forces, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    secret = _file(forces["calder"], "Source: 07700 900461.", level="confidential", capture=capture)
    before = {code: len(notes(forces[code])) for code in ("bracken", "calder")}
    mine = _file(forces["alder"], "Alder's sighting.", capture=capture)
    # Bracken's two newest are told of Alder's report; Calder's confidential report is too (Calder may read
    # Alder's shared report), though Alder's side of that hit stays untold: Alder may not know of it.
    assert len(notes(forces["bracken"])) - before["bracken"] == 2
    assert len(notes(forces["calder"])) - before["calder"] == 1
    hit = Hit.unscoped_objects.get(report=secret, other_report=mine)
    assert hit.report_side_told and hit.other_side_outside and not hit.other_side_told
    assert all("Calder" not in n.text for n in notes(forces["alder"]))


def test_within_the_window_every_pair_is_a_hit_for_both_sides(forces, django_capture_on_commit_callbacks) -> None:
    capture = django_capture_on_commit_callbacks
    theirs = _file(forces["bracken"], "Bracken sighting.", capture=capture)
    mine = _file(forces["alder"], "Alder's sighting.", capture=capture)
    assert len(notes(forces["alder"])) == 1 and len(notes(forces["bracken"])) == 1
    hit = Hit.unscoped_objects.get(report=theirs, other_report=mine)
    assert hit.report_side_told and hit.other_side_told
    assert not hit.report_side_outside and not hit.other_side_outside


def test_an_import_of_several_reports_meets_each_originators_window(
    forces, django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    mine = [submit(forces["alder"], f"Alder's sighting {n}.", phone()) for n in range(4)]  # hits not yet recorded
    with django_assert_max_num_queries(8):  # one rule query for Alder's four, not one each
        linking._new_pairs([r.pk for r in mine])
    for report in mine:
        with_bracken = Hit.unscoped_objects.filter(
            other_report=report, report__organisation=forces["bracken"].organisation
        )
        assert with_bracken.count() == 2  # Bracken's two newest, from Alder's window and from Bracken's own


def _release(report, supervisor, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        services.report_review(actor=supervisor, report=report, changes={"dissemination": "shared"}, reason="ok")


def test_a_report_released_later_is_told_to_a_side_it_was_hidden_from(
    forces, django_capture_on_commit_callbacks
) -> None:
    """Bracken's report awaited review when Alder filed: outside Alder's window then. Released, it is the
    newest Bracken report Alder may know of, and Alder hears of it (found by a review of the windows)."""
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        _file(forces["bracken"], f"Bracken sighting {n}.", capture=capture)
    waiting = _file(forces["bracken"], "Low grade tip on 07700 900461.", source="3", capture=capture)
    _file(forces["alder"], "Alder's sighting of 07700 900461.", capture=capture)
    assert not any(waiting.reference in n.text for n in notes(forces["alder"]))
    _release(waiting, forces["bracken.supervisor"], capture)
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


@pytest.mark.parametrize("hidden", [0, 3])
def test_whether_a_release_is_told_does_not_depend_on_reports_one_may_not_know_of(
    forces, django_capture_on_commit_callbacks, hidden: int
) -> None:
    """With Calder's confidential reports the selector is beyond the window, without them within it: Alder
    hears of Bracken's released report either way."""
    capture = django_capture_on_commit_callbacks
    waiting = _file(forces["bracken"], "Low grade tip on 07700 900461.", source="3", capture=capture)
    for n in range(hidden):
        _file(forces["calder"], f"Source {n}: 07700 900461.", level="confidential", capture=capture)
    _file(forces["alder"], "Alder's sighting of 07700 900461.", capture=capture)
    _release(waiting, forces["bracken.supervisor"], capture)
    assert sum(waiting.reference in n.text for n in notes(forces["alder"])) == 1


def test_the_hits_one_report_raises_are_bounded(django_capture_on_commit_callbacks) -> None:
    """At most HIT_FANOUT_LIMIT told to the new report's originator, and HIT_OWN_WINDOW to each other
    organisation naming the selector."""
    from cairn.accounts.choices import Role
    from cairn.core.testing import OrganisationFactory, UserFactory

    capture = django_capture_on_commit_callbacks
    officers = [
        UserFactory(organisation=OrganisationFactory(code=f"force{k}", name=f"Force {k}"), roles=[Role.OFFICER])
        for k in range(5)
    ]
    for officer in officers[1:]:
        for n in range(3):
            _file(officer, f"Sighting {n}.", capture=capture)
    before = {o.pk: len(notes(o)) for o in officers}
    _file(officers[0], "New sighting.", capture=capture)
    told = {o.pk: len(notes(o)) - before[o.pk] for o in officers}
    assert told[officers[0].pk] == linking.HIT_FANOUT_LIMIT
    assert all(told[o.pk] == linking.HIT_OWN_WINDOW for o in officers[1:]), told
