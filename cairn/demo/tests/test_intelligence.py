from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import asdict
from functools import cache

import pytest

from cairn.access import intelligence as policy
from cairn.accounts.choices import LAW_ENFORCEMENT_KINDS
from cairn.accounts.models import User
from cairn.audit.services import verify_chain
from cairn.demo.intelligence import DemoReport, typo, world_reports, written_name, written_phone
from cairn.demo.loader import load_demo
from cairn.demo.story import (
    STORY_HOLDER,
    STORY_OFFICER,
    STORY_PHONE,
    STORY_PHONE_AS_ALDERMOOR_WRITES_IT,
    STORY_PHONE_E164,
    STORY_TEXT,
    story_report,
)
from cairn.demo.world import STORY_RESERVED_PHONES, World, build_world
from cairn.entities.choices import PremisesType, Property
from cairn.entities.models import Entity, Statement
from cairn.entities.normalise import name_key, normalise
from cairn.intelligence.choices import ReviewState
from cairn.intelligence.inputs import ReportInput, SubjectInput, validate
from cairn.intelligence.models import IntelligenceReport
from cairn.intelligence.services import report_submit

N = 200


@cache
def small() -> tuple[World, list[DemoReport]]:
    world = build_world(5)
    return world, world_reports(world, N)


def fresh_reports() -> list[DemoReport]:
    # validate() cleans reports in place; tests that validate work on copies.
    return copy.deepcopy(small()[1])


def fingerprint(reports: list[DemoReport]) -> list[dict]:
    return [asdict(r) for r in reports]


def test_reports_are_deterministic_for_a_seed() -> None:
    _, reports = small()
    assert len(reports) == N
    assert fingerprint(world_reports(build_world(5), N)) == fingerprint(reports)
    assert fingerprint(world_reports(build_world(6), N)) != fingerprint(reports)


def test_adding_reports_leaves_the_existing_world_alone() -> None:
    world = build_world(5)
    truth = world.ground_truth()
    assert [p["key"] for p in truth["people"]] == [p.key for p in world.people]
    assert len(world.premises) >= len(world.groups)
    assert all(1 <= sum(1 for p in world.premises if p.group == g.key) <= 4 for g in world.groups)
    assert not STORY_RESERVED_PHONES & {s.value for s in world.selectors}
    for s in world.selectors:
        normalise(s.kind, s.value)
    for p in world.premises:
        normalise("address", p.address)
        normalise("postcode", p.postcode)


def test_every_report_is_valid_input() -> None:
    for report in fresh_reports():
        validate(report.data)
        assert len(report.person_keys) == len(report.data.subjects) == len(report.selector_keys)
        assert report.data.text


def test_authors_are_law_enforcement_staff_who_can_submit() -> None:
    world, reports = small()
    users = {u.username: u for u in world.users}
    orgs = {o.code: o for o in world.organisations}
    for r in reports:
        user = users[r.author]
        assert orgs[user.organisation].kind in LAW_ENFORCEMENT_KINDS
        assert set(user.roles) & {"officer", "analyst", "supervisor", "sio"}
        assert r.organisation == user.organisation
        if r.review_by:
            reviewer = users[r.review_by]
            assert reviewer.organisation == user.organisation and "supervisor" in reviewer.roles
            assert r.needs_review


def test_every_dissemination_level_and_the_regional_group_appear() -> None:
    world, reports = small()
    levels = defaultdict(int)
    for r in reports:
        levels[r.data.dissemination] += 1
    assert set(levels) == {"shared", "restricted", "confidential"}
    assert levels["shared"] > levels["restricted"] > levels["confidential"]
    regional = next(g.name for g in world.sharing_groups if g.kind == "regional")
    assert any(regional in r.sharing_groups for r in reports)
    assert any(r.needs_review and r.review_by for r in reports)
    assert any(r.needs_review and not r.review_by for r in reports)
    assert len({r.organisation for r in reports}) >= 8


def test_the_same_person_appears_under_different_spellings() -> None:
    _, reports = small()
    spellings: dict[str, set[str]] = defaultdict(set)
    keys: dict[str, set[str]] = defaultdict(set)
    dobs: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        for subject, key in zip(r.data.subjects, r.person_keys, strict=True):
            if key:
                assert subject.kind == "person"
                spellings[key].add(subject.value)
                keys[key].add(name_key(subject.value))
                dobs[key].add(subject.date_of_birth)
    assert any(len(v) >= 2 for v in spellings.values())
    # Not only capitals and word order: some spellings would not match even on an order-free key.
    assert sum(1 for v in keys.values() if len(v) >= 2) >= 10
    assert any(len({d for d in v if d}) >= 2 for v in dobs.values())  # partial and wrong dates
    assert any("" in v for v in dobs.values())


def test_a_phone_is_written_in_several_ways_that_normalise_to_one_number() -> None:
    _, reports = small()
    forms: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        for subject in r.data.subjects:
            if subject.kind == "phone":
                forms[normalise("phone", subject.value)].add(subject.value)
    assert any(len(v) >= 2 for v in forms.values())
    assert any(number.startswith(("+40", "+84", "+355")) for number in forms)


def test_the_noise_functions() -> None:
    import random

    rng = random.Random(1)
    phones = {written_phone("07700 900123", rng) for _ in range(200)}
    assert {"07700 900123", "+44 7700 900123", "0044-7700-900123", "(07700) 900 123", "7700900123"} <= phones
    assert {normalise("phone", p) for p in phones} == {"+447700900123"}
    assert {normalise("phone", written_phone("+40 721 432 985", rng)) for _ in range(50)} == {"+40721432985"}
    assert typo("Popescu", random.Random(3)) != "Popescu"
    world = build_world(5)
    person = next(p for p in world.people if p.native_script and p.nationality in {"BG", "UA"})
    names = {written_name(person, rng).value for _ in range(300)}
    assert person.native_script in names
    assert len({name_key(n) for n in names}) >= 4


def test_hidden_keys_never_reach_the_report() -> None:
    _, reports = small()
    for r in reports:
        blob = r.data.text + " ".join(s.value for s in r.data.subjects)
        for key in filter(None, [*r.person_keys, *r.selector_keys]):
            assert key not in blob


def test_three_thousand_reports_are_quick_to_generate() -> None:
    import time

    world = build_world()
    started = time.perf_counter()
    reports = world_reports(world)
    assert len(reports) == 3000
    assert time.perf_counter() - started < 10


def test_the_story_report_is_valid_and_restricted() -> None:
    story = story_report()
    assert STORY_PHONE in STORY_RESERVED_PHONES
    validate(story.data)
    assert story.data.dissemination == "restricted"
    assert story.needs_review and story.review_by == f"supervisor.{STORY_HOLDER}"
    assert normalise("phone", STORY_PHONE_AS_ALDERMOOR_WRITES_IT) == STORY_PHONE_E164
    assert STORY_PHONE_E164 and "flag" in STORY_TEXT


@pytest.mark.django_db
def test_the_demo_loads_reports_and_the_story_flags_the_phone_to_aldermoor() -> None:
    result = load_demo(5, n_reports=N)
    assert result.loaded
    summary = result.summary
    assert summary["reports"] == N + 4  # the flag story and the three linking-story reports
    assert set(summary["reports_by_level"]) == {"shared", "restricted", "confidential"}
    assert summary["reports_reviewed"] > 0 and summary["reports_awaiting_review"] > 0
    assert IntelligenceReport.unscoped_objects.count() == N + 4
    assert (
        IntelligenceReport.unscoped_objects.filter(review_state=ReviewState.AWAITING).count()
        == summary["reports_awaiting_review"]
    )

    story = IntelligenceReport.unscoped_objects.get(reference=summary["story_report"])
    assert story.organisation.code == STORY_HOLDER
    assert story.dissemination == "restricted" and story.review_state == ReviewState.REVIEWED
    phone = Entity.unscoped_objects.get(kind="phone", key=STORY_PHONE_E164)
    # The groups' premises are recorded with their type, so search can filter by it.
    places = Statement.unscoped_objects.filter(prop=Property.PREMISES_TYPE)
    assert places.exists() and set(places.values_list("value_normalised", flat=True)) <= set(PremisesType.values)

    officer = User.objects.get(username=STORY_OFFICER)
    assert policy.report_access(officer, story.pk) == "flag"
    # The officer reports the same phone, written their way: it is the same entity, and it carries the flag.
    mine = report_submit(
        actor=officer,
        data=ReportInput(
            text=f"A man dropping women at a flat on Mill Lane uses the phone {STORY_PHONE_AS_ALDERMOOR_WRITES_IT}.",
            source_evaluation="1",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="shared",
            subjects=[SubjectInput(kind="phone", value=STORY_PHONE_AS_ALDERMOOR_WRITES_IT, role="user")],
        ),
    )
    assert Statement.unscoped_objects.filter(report=mine, entity=phone).exists()
    flags = policy.flags_for(officer, entity_ids=[phone.pk])
    assert [(f.report_id, f.organisation_code) for f in flags] == [(story.pk, STORY_HOLDER)]
    assert story.pk not in set(policy.reports_visible_to(officer).values_list("pk", flat=True))

    again = load_demo(5, n_reports=N)
    assert not again.loaded
    assert IntelligenceReport.unscoped_objects.count() == N + 5
    assert verify_chain().intact
