"""Person search shows a merged person once, as far as the searcher may know the merge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report, verified_client
from cairn.entities.choices import EntityKind
from cairn.entities.models import Statement
from cairn.intelligence.inputs import SubjectInput
from cairn.linking import services as linking
from cairn.linking.models import MatchProposal
from cairn.search.selectors import search

pytestmark = pytest.mark.django_db

QUERY = "Nguyen Van Minh"
RECORDS = [
    ("alder", "Nguyen Van Minh", "1994-03-07", "shared"),
    ("bracken", "Nguyễn Văn Minh", "1994", "shared"),
    ("calder", "Nguyen Van Minh", "", "restricted"),
]


@pytest.fixture
def world():
    """One man recorded by three forces; Calder's report is restricted, so to the others it is a flag."""
    made: dict = {}
    for code, name, dob, dissemination in RECORDS:
        org = OrganisationFactory(code=code)
        made[code] = UserFactory(username=f"{code}.analyst", organisation=org, roles=[Role.ANALYST])
        subject = SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob)
        report = submit_report(made[code], subject, level=dissemination, text=f"{name} drives workers to the car wash.")
        made[f"{code}.report"] = report
        made[code + ".record"] = Statement.unscoped_objects.get(
            report=report, entity__kind=EntityKind.PERSON, prop="subject"
        ).entity_id
    a, b, c = (made[f"{code}.record"] for code in ("alder", "bracken", "calder"))
    linking.proposals_save([(a, b, 0.97, 8.0, []), (a, c, 0.95, 7.0, []), (b, c, 0.93, 6.0, [])])
    return made


def same(world, x: str, y: str, actor_code: str = "calder") -> None:
    left, right = sorted((world[f"{x}.record"], world[f"{y}.record"]))
    proposal = MatchProposal.unscoped_objects.get(left_id=left, right_id=right)
    linking.judge(actor=world[actor_code], proposal_id=proposal.pk, decision="same", reason="photographs")


def people(world, code: str) -> list[tuple[int, list[int], set[str]]]:
    result = search(actor=world[code], query=QUERY)
    return [(h.entity_id, h.merged_with, {r.reference for r in h.reports}) for h in result.hits]


def test_records_judged_the_same_person_are_one_result_with_every_report(world) -> None:
    a, b = world["alder.record"], world["bracken.record"]
    assert {hit[0] for hit in people(world, "alder")} == {a, b}  # two records, not yet judged
    same(world, "alder", "bracken", actor_code="alder")
    both = {world["alder.report"].reference, world["bracken.report"].reference}
    # Headed by the better match (here they tie, and the lower id leads), the other record beside it.
    head, other = sorted((a, b))
    assert people(world, "alder") == [(head, [other], both)]
    assert people(world, "bracken") == [(head, [other], both)]
    hit = search(actor=world["alder"], query=QUERY).hits[0]
    assert "one person with 1 other record(s), judged the same" in hit.why


def test_a_merge_known_only_through_a_record_you_may_not_read_does_not_join_your_results(world) -> None:
    # Calder's restricted record is the only join: to Alder and Bracken the two shared records are
    # still two people, since only intelligence they may not read says they are one.
    same(world, "alder", "calder")
    same(world, "bracken", "calder")
    a, b, c = world["alder.record"], world["bracken.record"], world["calder.record"]
    for code in ("alder", "bracken"):
        assert sorted((hit[0], hit[1]) for hit in people(world, code)) == sorted([(a, []), (b, [])])
        assert len(search(actor=world[code], query=QUERY).flags) == 1  # Calder's holding, as a flag
    # Calder reads all three: one person, every report.
    [(head, merged, refs)] = people(world, "calder")
    assert {head, *merged} == {a, b, c}
    assert len(refs) == 3


def test_a_split_gives_each_record_its_own_result_again(world) -> None:
    same(world, "alder", "bracken", actor_code="alder")
    assert len(people(world, "alder")) == 1
    linking.split(actor=world["alder"], entity_id=world["alder.record"], reason="two men of one name")
    assert sorted((hit[0], hit[1]) for hit in people(world, "alder")) == sorted(
        [(world["alder.record"], []), (world["bracken.record"], [])]
    )


def test_the_api_and_the_page_say_the_records_are_one_person(world) -> None:
    same(world, "alder", "bracken", actor_code="alder")
    client = verified_client(world["alder"], reason="Op Lantern 9")
    api = client.get("/api/v1/search", {"q": QUERY, "reason": "Op Lantern 9"})
    assert api.status_code == 200
    [hit] = api.json()["hits"]
    assert {hit["entity_id"], *hit["merged_with"]} == {world["alder.record"], world["bracken.record"]}
    assert len(hit["merged_with"]) == 1
    assert len(hit["reports"]) == 2
    page = client.get(reverse("search:search"), {"q": QUERY})
    assert page.status_code == 200
    assert 'data-testid="merged">one person, 2 records<' in page.content.decode()
    # The tag opens the merged person's page, with every record the viewer may read.
    person_page = reverse("linking:person", args=[hit["entity_id"]])
    assert f'href="{person_page}" data-testid="merged-person"' in page.content.decode()
    # An organisation outside the merge's reports sees neither record in full: no merged person.
    outsider = UserFactory(organisation=OrganisationFactory(code="haven", kind="charity"), roles=[Role.ANALYST])
    assert all(not h.merged_with for h in search(actor=outsider, query=QUERY).hits)


def test_how_much_a_search_reads_says_nothing_of_merges_among_records_you_may_not_read(world) -> None:
    """The merge lookup walks only through records the searcher reads in full: Alder's search costs the
    same queries whether Calder's restricted record is merged with one more of Calder's records or three."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            search(actor=world["alder"], query=QUERY)
        return len(seen.captured_queries)

    same(world, "alder", "calder")
    chain = [world["calder.record"]]
    counts = []
    for n in range(3):
        subject = SubjectInput(kind="person", value=f"Tran Thi Lan {n}", role="suspect")
        more = submit_report(world["calder"], subject, level="restricted", text="Another record.")
        chain.append(
            Statement.unscoped_objects.get(report=more, entity__kind=EntityKind.PERSON, prop="subject").entity_id
        )
        linking.proposals_save([(chain[-2], chain[-1], 0.9, 5.0, [])])
        left, right = sorted(chain[-2:])
        proposal = MatchProposal.unscoped_objects.get(left_id=left, right_id=right)
        linking.judge(actor=world["calder"], proposal_id=proposal.pk, decision="same", reason="one man")
        counts.append(queries())
    assert counts[0] == counts[1] == counts[2], counts
