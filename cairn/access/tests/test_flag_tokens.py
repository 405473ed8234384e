# ruff: noqa: F811 - ``forces`` is a fixture imported from the search tests
"""Flags addressed by an opaque per-viewer token (``cairn.access.flags``), not by the report's id.

Two flags of one restricted report on two subjects must read as unrelated: their tokens differ, each takes
its own access request, neither page shows the other's request, and the report's id (by API or page)
answers as if there were no such report. Hits and watch alerts about a report known only by flag link to
the flag's token. Everything runs on PostgreSQL through the real test client.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from cairn.access import intelligence as policy
from cairn.access.flags import TOKEN_LENGTH, FlagAddress, flag_token, open_token
from cairn.accounts.choices import Role
from cairn.core.testing import UserFactory, ask_for_access, verified_client
from cairn.entities.models import Entity
from cairn.intelligence import services
from cairn.intelligence.choices import AccessRequestStatus
from cairn.intelligence.inputs import SubjectInput
from cairn.intelligence.models import AccessRequest
from cairn.notifications.models import Notification
from cairn.search.tests.test_search import forces, report  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
FLAG_LINK = re.compile(r"^/intelligence/flags/([A-Za-z0-9_-]{22})/$")


def phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user")


def phone_entity(number: str) -> Entity:
    """The phone entity for a UK mobile written as '07700 900xxx'."""
    return Entity.unscoped_objects.get(kind="phone", key="+44" + number.replace(" ", "")[1:])


def colleague(user: Any, role: str = Role.ANALYST) -> Any:
    """Another user of the same organisation."""
    return UserFactory(organisation=user.organisation, roles=[role])


def post_json(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def ask(client: Any, token: str, reason: str = "Op Lantern 12/2026") -> Any:
    return post_json(client, f"/api/v1/flags/{token}/access-requests", {"reason": reason})


def entity_flags(client: Any, entity_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/entities/{entity_id}?reason=Op+Lantern")
    assert response.status_code == 200, response.content
    return list(response.json()["flags"])


def without_csrf(body: bytes) -> str:
    """A page with its per-response CSRF token blanked, so two renders of one template compare equal."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body.decode())


# --- 1. tokens --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity_id", [7, None, 2**63 - 1])
@pytest.mark.parametrize(("viewer_id", "report_id"), [(1, 1), (42, 123_456), (2**31, 2**63 - 1)])
def test_a_token_opens_to_its_pair_for_its_viewer(viewer_id: int, report_id: int, entity_id: int | None) -> None:
    token = flag_token(viewer_id, report_id, entity_id)
    assert len(token) == TOKEN_LENGTH and TOKEN_CHARS.match(token), token
    assert open_token(viewer_id, token) == FlagAddress(report_id, entity_id)
    # The same flag reads the same to one viewer every time.
    assert flag_token(viewer_id, report_id, entity_id) == token


def test_tokens_of_one_report_differ_by_subject_and_by_viewer() -> None:
    report_id = 5_001
    on_subjects = {flag_token(11, report_id, e) for e in (101, 102, 103, None)}
    assert len(on_subjects) == 4, on_subjects
    for_viewers = {flag_token(v, report_id, 101) for v in (11, 12, 13)}
    assert len(for_viewers) == 3, for_viewers
    # Nor do two siblings share a prefix, as they would were the report's id written in the clear (one AES block).
    first, second = flag_token(11, report_id, 101), flag_token(11, report_id, 102)
    assert first[:8] != second[:8], (first, second)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "!" * TOKEN_LENGTH,
        "A" * 30,
        "A" * (TOKEN_LENGTH - 1),
        "A" * (TOKEN_LENGTH + 1),
        "é" * TOKEN_LENGTH,
        "A" * (TOKEN_LENGTH - 1) + "é",
        "Ω" * 11,  # 22 bytes in UTF-8, 11 characters
        "A" * (TOKEN_LENGTH - 2) + "==",
        "A" * (TOKEN_LENGTH - 1) + "!",
        "A" * (TOKEN_LENGTH - 1) + "\n",
        " " * TOKEN_LENGTH,
    ],
)
def test_open_token_refuses_anything_that_is_not_a_token_without_raising(token: str) -> None:
    assert open_token(1, token) is None


def test_a_token_made_for_one_viewer_does_not_open_to_the_pair_for_another() -> None:
    for report_id, entity_id in ((77, 9), (77, None), (1, 1), (10**12, 10**9)):
        token = flag_token(501, report_id, entity_id)
        for other in (502, 503, 1):
            assert open_token(other, token) != FlagAddress(report_id, entity_id), (other, report_id, entity_id)


# --- 2. flag_at --------------------------------------------------------------------------------------------


def test_a_token_made_for_another_user_does_not_open_the_flag(forces) -> None:
    """Alder's two analysts each see Bracken's restricted report as a flag, each with their own token."""
    restricted = report(forces["bracken"], "Runner uses 07700 900601.", phone("07700 900601"), level="restricted")
    entity = phone_entity("07700 900601")
    alder, alder2, calder = forces["alder"], colleague(forces["alder"]), forces["calder"]
    mine = flag_token(alder.pk, restricted.pk, entity.pk)

    flag = policy.flag_at(alder, mine)
    assert flag is not None and (flag.report_id, flag.entity_id, flag.token) == (restricted.pk, entity.pk, mine)
    assert policy.flag_at(alder2, mine) is None and policy.flag_at(calder, mine) is None
    # Each has a flag of their own, under a different token.
    theirs = policy.flag_at(alder2, flag_token(alder2.pk, restricted.pk, entity.pk))
    assert theirs is not None and theirs.token != mine

    page = reverse("intelligence:flag", args=[mine])
    shown = verified_client(alder).get(page)
    assert shown.status_code == 200 and 'data-testid="flag"' in shown.content.decode()
    assert "Bracken Police" in shown.content.decode()
    for outsider in (alder2, calder):
        client = verified_client(outsider)
        assert client.get(page).status_code == 404
        assert client.get(f"/api/v1/flags/{mine}?reason=Op").status_code == 404
        assert ask(client, mine).status_code == 404
    api = verified_client(alder).get(f"/api/v1/flags/{mine}?reason=Op")
    # Not which entity: a search's flag is reached from a name (the entity's own flags give it).
    assert api.status_code == 200 and api.json()["token"] == mine and api.json()["entity_id"] is None
    assert "report_id" not in api.json() and "id" not in api.json()
    assert not AccessRequest.unscoped_objects.exists()


def test_no_flag_for_a_report_read_in_full_a_confidential_one_or_a_subject_it_does_not_name(forces) -> None:
    alder = forces["alder"]
    shared = report(forces["bracken"], "Shared: 07700 900611.", phone("07700 900611"))
    confidential = report(forces["bracken"], "Secret: 07700 900612.", phone("07700 900612"), level="confidential")
    restricted = report(forces["bracken"], "Restricted: 07700 900613.", phone("07700 900613"), level="restricted")
    own = report(alder, "Alder's own restricted note: 07700 900614.", phone("07700 900614"), level="restricted")
    report(alder, "Another phone: 07700 900615.", phone("07700 900615"))
    named, unnamed = phone_entity("07700 900613"), phone_entity("07700 900615")

    refused = [
        flag_token(alder.pk, shared.pk, phone_entity("07700 900611").pk),  # read in full
        flag_token(alder.pk, shared.pk, None),
        flag_token(alder.pk, confidential.pk, phone_entity("07700 900612").pk),  # may not know of it
        flag_token(alder.pk, confidential.pk, None),
        flag_token(alder.pk, own.pk, phone_entity("07700 900614").pk),  # its own
        flag_token(alder.pk, restricted.pk, unnamed.pk),  # a subject the report does not name
        flag_token(alder.pk, restricted.pk + 999_999, named.pk),  # no such report
    ]
    client = verified_client(alder)
    for token in refused:
        assert policy.flag_at(alder, token) is None, token
        assert client.get(reverse("intelligence:flag", args=[token])).status_code == 404, token
        assert client.get(f"/api/v1/flags/{token}?reason=Op").status_code == 404, token
    # The restricted report itself is a flag, on the subject it names and as a report (a watch's flag).
    for entity_id in (named.pk, None):
        token = flag_token(alder.pk, restricted.pk, entity_id)
        flag = policy.flag_at(alder, token)
        assert flag is not None and flag.entity_id == entity_id and flag.token == token
        assert client.get(reverse("intelligence:flag", args=[token])).status_code == 200
    # Its own organisation reads it in full: no flag for them.
    bracken = colleague(forces["bracken"])
    assert policy.flag_at(bracken, flag_token(bracken.pk, restricted.pk, named.pk)) is None


def test_malformed_tokens_answer_not_found_on_the_page_and_the_api(forces) -> None:
    client = verified_client(forces["alder"])
    for token in ("abc", "!" * TOKEN_LENGTH, "A" * 30, "é" * TOKEN_LENGTH):
        assert client.get(f"/api/v1/flags/{token}?reason=Op").status_code == 404, token
        assert ask(client, token).status_code == 404, token
        assert client.get(f"/intelligence/flags/{token}/").status_code == 404, token
    assert not AccessRequest.unscoped_objects.exists()


# --- 3. an access request per flag ---------------------------------------------------------------------


def test_two_flags_of_one_report_take_a_request_each(forces) -> None:
    """One restricted report names two phones: Alder sees two unrelated flags, and asks from each separately."""
    holder, alder = forces["bracken"], forces["alder"]
    restricted = report(
        holder,
        "Controller uses 07700 900621 and 07700 900622.",
        phone("07700 900621"),
        phone("07700 900622"),
        level="restricted",
    )
    a_entity, b_entity = phone_entity("07700 900621"), phone_entity("07700 900622")
    client = verified_client(alder)

    [flag_a] = entity_flags(client, a_entity.pk)
    [flag_b] = entity_flags(client, b_entity.pk)
    a, b = flag_a["token"], flag_b["token"]
    assert a != b and len(a) == len(b) == TOKEN_LENGTH
    assert (flag_a["entity_id"], flag_b["entity_id"]) == (a_entity.pk, b_entity.pk)
    assert "report_id" not in flag_a and "id" not in flag_a
    assert a == flag_token(alder.pk, restricted.pk, a_entity.pk)

    first = ask(client, a)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["report_id"] is None and body["flag"] == a and body["status"] == "pending", body
    again = ask(client, a, reason="Asked twice")
    assert again.status_code == 201 and again.json()["id"] == body["id"] and again.json()["flag"] == a
    assert AccessRequest.unscoped_objects.filter(requester=alder).count() == 1

    page_a = client.get(reverse("intelligence:flag", args=[a])).content.decode()
    page_b = client.get(reverse("intelligence:flag", args=[b])).content.decode()
    assert 'data-testid="request-status"' in page_a and 'data-testid="request-access"' not in page_a
    assert 'data-testid="request-status"' not in page_b and 'data-testid="request-access"' in page_b
    assert reverse("intelligence:request-access", args=[b]) in page_b

    second = ask(client, b)
    assert second.status_code == 201, second.content
    assert second.json()["id"] != body["id"] and second.json()["flag"] == b and second.json()["report_id"] is None
    # The page's form, posted again on flag A, makes no third request.
    posted = client.post(reverse("intelligence:request-access", args=[a]), {"reason": "From the page"})
    assert posted.status_code == 302 and posted["Location"] == reverse("intelligence:flag", args=[a])
    made = AccessRequest.unscoped_objects.filter(requester=alder).order_by("created_at")
    assert [(r.pk, r.report_id, r.entity_id, r.status) for r in made] == [
        (body["id"], restricted.pk, a_entity.pk, AccessRequestStatus.PENDING),
        (second.json()["id"], restricted.pk, b_entity.pk, AccessRequestStatus.PENDING),
    ]

    # The originating supervisor sees both, each to decide.
    supervisor = colleague(holder, Role.SUPERVISOR)
    queue = verified_client(supervisor).get(reverse("intelligence:queue"))
    assert queue.status_code == 200
    assert queue.content.decode().count('data-testid="access-request"') == 2
    for pk in (body["id"], second.json()["id"]):
        assert reverse("intelligence:decide", args=[pk]) in queue.content.decode()
    # Nobody else's queue shows them.
    other = verified_client(colleague(forces["calder"], Role.SUPERVISOR)).get(reverse("intelligence:queue"))
    assert other.content.decode().count('data-testid="access-request"') == 0

    # Granted from flag A: the report is read in full, so neither flag is a flag any more.
    services.access_request_decide(actor=supervisor, request_id=body["id"], grant=True, reason="Joint op")
    assert client.get(reverse("intelligence:flag", args=[a])).status_code == 404
    assert client.get(reverse("intelligence:flag", args=[b])).status_code == 404
    opened = client.get(f"/api/v1/reports/{restricted.pk}?reason=Op")
    assert opened.status_code == 200 and opened.json()["id"] == restricted.pk
    # The request from flag B is answered with it, and leaves the supervisor's queue.
    assert not AccessRequest.unscoped_objects.filter(report=restricted, status=AccessRequestStatus.PENDING).exists()
    answered = AccessRequest.unscoped_objects.filter(report=restricted).exclude(pk=body["id"]).get()
    assert answered.status == AccessRequestStatus.GRANTED and answered.decided_by == supervisor
    assert f"request {body['id']}" in answered.decision_reason
    from cairn.audit.models import AuditEntry

    decided = AuditEntry.objects.filter(action="access_decision", object_type="intelligence.access_request")
    assert {e.object_id for e in decided} == {str(body["id"]), str(answered.pk)}  # each answer audited
    queue = verified_client(supervisor).get(reverse("intelligence:queue")).content.decode()
    assert 'data-testid="access-request"' not in queue


def test_a_request_on_the_report_flag_is_apart_from_one_on_a_subject_flag(forces) -> None:
    """A flag on the report itself (no subject: the links of notifications made before flags had tokens) takes
    its own request, apart from the subject flag's."""
    alder = forces["alder"]
    restricted = report(forces["bracken"], "Restricted: 07700 900631.", phone("07700 900631"), level="restricted")
    entity = phone_entity("07700 900631")
    on_report = ask_for_access(alder, restricted.pk)
    on_subject = ask_for_access(alder, restricted.pk, entity_id=entity.pk)
    assert on_report.pk != on_subject.pk
    assert (on_report.entity_id, on_subject.entity_id) == (None, entity.pk)
    assert ask_for_access(alder, restricted.pk, reason="again").pk == on_report.pk
    client = verified_client(alder)
    for entity_id in (None, entity.pk):
        page = client.get(reverse("intelligence:flag", args=[flag_token(alder.pk, restricted.pk, entity_id)]))
        assert page.status_code == 200 and page.content.decode().count('data-testid="request-status"') == 1


def test_a_request_needs_a_reason_and_makes_nothing_without_one(forces) -> None:
    restricted = report(forces["bracken"], "Restricted: 07700 900632.", phone("07700 900632"), level="restricted")
    alder = forces["alder"]
    token = flag_token(alder.pk, restricted.pk, phone_entity("07700 900632").pk)
    answer = ask(verified_client(alder), token, reason="   ")
    assert answer.status_code == 422, answer.content
    assert not AccessRequest.unscoped_objects.exists()


# --- 4. the report's id answers as if there were no such report ----------------------------------------------


def test_a_flagged_report_by_id_answers_as_a_missing_one(forces) -> None:
    restricted = report(forces["bracken"], "Restricted: 07700 900641.", phone("07700 900641"), level="restricted")
    alder = forces["alder"]
    client = verified_client(alder)
    assert policy.report_access(alder, restricted.pk) == "flag"  # a flag to Alder, so known to exist
    missing = restricted.pk + 999_999

    api_flagged = client.get(f"/api/v1/reports/{restricted.pk}?reason=Op")
    api_missing = client.get(f"/api/v1/reports/{missing}?reason=Op")
    assert api_flagged.status_code == api_missing.status_code == 404
    assert api_flagged.content == api_missing.content

    page_flagged = client.get(reverse("intelligence:detail", args=[restricted.pk]))
    page_missing = client.get(reverse("intelligence:detail", args=[missing]))
    assert page_flagged.status_code == page_missing.status_code == 404
    assert without_csrf(page_flagged.content) == without_csrf(page_missing.content)

    revision_flagged = client.get(reverse("intelligence:revision", args=[restricted.pk, 1]))
    revision_missing = client.get(reverse("intelligence:revision", args=[missing, 1]))
    assert revision_flagged.status_code == revision_missing.status_code == 404
    for path in ("/api/v1/reports/{}/correlations", "/intelligence/{}/edit/", "/intelligence/{}/sanitise/"):
        flagged, absent = client.get(path.format(restricted.pk)), client.get(path.format(missing))
        assert flagged.status_code == absent.status_code and flagged.status_code in (403, 404), path
        assert without_csrf(flagged.content) == without_csrf(absent.content), path
    # Its own organisation reads it by id, as before.
    assert verified_client(forces["bracken"]).get(f"/api/v1/reports/{restricted.pk}?reason=Op").status_code == 200


# --- 5. notifications link to the flag's token ---------------------------------------------------------------


def test_a_hit_on_a_restricted_report_links_to_its_flag_not_its_id(forces, django_capture_on_commit_callbacks) -> None:
    alder, holder = forces["alder"], forces["bracken"]
    with django_capture_on_commit_callbacks(execute=True):
        report(alder, "Driver uses 07700 900651 and 07700 900652.", phone("07700 900651"), phone("07700 900652"))
    with django_capture_on_commit_callbacks(execute=True):
        restricted = report(
            holder,
            "Controller: 07700 900651, 07700 900652.",
            phone("07700 900651"),
            phone("07700 900652"),
            level="restricted",
        )
    told = list(Notification.objects.filter(recipient=alder).order_by("created_at", "pk"))
    assert told and {n.kind for n in told} == {"hit_flag"}, [(n.kind, n.link) for n in told]
    links = {n.link for n in told}
    assert len(links) == 2, links  # two subjects, two flags that do not read as one report
    expected = {
        reverse("intelligence:flag", args=[flag_token(alder.pk, restricted.pk, phone_entity(n).pk)])
        for n in ("07700 900651", "07700 900652")
    }
    assert links == expected
    client = verified_client(alder)
    for note in told:
        assert FLAG_LINK.match(note.link), note.link
        assert note.link != reverse("intelligence:detail", args=[restricted.pk])
        assert restricted.reference not in note.text
        page = client.get(note.link)
        assert page.status_code == 200 and "Bracken Police" in page.content.decode()
    # The hit's token is the flag Alder sees on the phone's own page: one flag, one token.
    api_tokens = {
        f["token"] for n in ("07700 900651", "07700 900652") for f in entity_flags(client, phone_entity(n).pk)
    }
    assert api_tokens == {FLAG_LINK.match(link).group(1) for link in links}  # type: ignore[union-attr]
    # Another Alder analyst, given the link, finds nothing there.
    other = verified_client(colleague(alder))
    assert all(other.get(link).status_code == 404 for link in links)


def test_a_watch_on_a_phone_links_to_the_flag_of_a_restricted_report(
    forces, django_capture_on_commit_callbacks
) -> None:
    watcher, holder = forces["alder"], forces["bracken"]
    client = verified_client(watcher)
    made = post_json(client, "/api/v1/watches", {"query": "07700 900661", "reason": "Op Lantern"})
    assert made.status_code == 201, made.content
    with django_capture_on_commit_callbacks(execute=True):
        restricted = report(holder, "Restricted: 07700 900661.", phone("07700 900661"), level="restricted")
    [told] = Notification.objects.filter(recipient=watcher)
    assert told.kind == "watch_flag" and "Bracken Police" in told.text, (told.kind, told.text)
    assert FLAG_LINK.match(told.link), told.link
    assert told.link != reverse("intelligence:detail", args=[restricted.pk])
    page = client.get(told.link)
    assert page.status_code == 200 and 'data-testid="flag"' in page.content.decode()
    # Asking from the watch's flag works, and answers with that flag, not the report's id.
    token = FLAG_LINK.match(told.link).group(1)  # type: ignore[union-attr]
    # The flag of the report on the phone the watch matched: the one the phone's page shows.
    assert token == flag_token(watcher.pk, restricted.pk, phone_entity("07700 900661").pk)
    asked = ask(client, token)
    assert asked.status_code == 201 and asked.json()["flag"] == token and asked.json()["report_id"] is None
    # The holder is told someone is interested, with a link to its own report.
    interest = Notification.objects.get(recipient=holder, kind="interest")
    assert interest.link == reverse("intelligence:detail", args=[restricted.pk])
    assert verified_client(colleague(watcher)).get(told.link).status_code == 404


# --- crime groups: the group's flag is its own, apart from its members' --------------------------------------


def test_a_crime_groups_flag_opens_and_reads_as_unrelated_to_its_members_flags() -> None:
    from cairn.groups.models import CrimeGroup
    from cairn.groups.tests.test_groups import World, adopt

    world = World()
    made = adopt(verified_client(world.analyst), world.entities)
    assert made.status_code == 201, made.content
    group = CrimeGroup.objects.unscoped().get(pk=made.json()["id"])
    other = verified_client(world.colleague)
    shown = other.get(f"/api/v1/crime-groups/{group.pk}")
    assert shown.status_code == 200 and shown.json()["access"] == "flag", shown.content
    token = shown.json()["flag"]
    assert token == flag_token(world.colleague.pk, group.report_id, group.entity_id)
    flag = policy.flag_at(world.colleague, token)
    assert flag is not None and (flag.report_id, flag.entity_id) == (group.report_id, group.entity_id)
    page = other.get(reverse("intelligence:flag", args=[token]))
    assert page.status_code == 200 and "Aldermoor Police" in page.content.decode()
    # The same report is a flag on each member: under tokens unrelated to the group's.
    member_tokens = {f["token"] for e in world.entities for f in entity_flags(other, e)}
    assert member_tokens and token not in member_tokens, member_tokens
    opened = [policy.flag_at(world.colleague, t) for t in member_tokens]
    assert all(f is not None and f.report_id == group.report_id for f in opened), opened
    asked = ask(other, token)
    assert asked.status_code == 201 and asked.json()["flag"] == token and asked.json()["report_id"] is None
    assert AccessRequest.unscoped_objects.get(pk=asked.json()["id"]).entity_id == group.entity_id


# --- every other place a flag is shown gives a token that opens it ---------------------------------------------


def test_search_and_correlation_flags_carry_tokens_that_open(forces) -> None:
    alder = forces["alder"]
    restricted = report(
        forces["bracken"],
        "Ilir Krasniqi uses 07700 900671.",
        SubjectInput(kind="person", value="Ilir Krasniqi", role="suspect"),
        phone("07700 900671"),
        level="restricted",
    )
    mine = report(alder, "Our own sighting of 07700 900671.", phone("07700 900671"))
    client = verified_client(alder)
    tokens: list[str] = []
    for query in ("07700 900671", "Ilir Krasniqi"):
        found = client.get("/api/v1/search", {"q": query, "reason": "Op Lantern"})
        assert found.status_code == 200, found.content
        [flag] = found.json()["flags"]
        assert "report_id" not in flag and len(flag["token"]) == TOKEN_LENGTH, flag
        tokens.append(flag["token"])
    correlations = client.get(f"/api/v1/reports/{mine.pk}/correlations")
    assert correlations.status_code == 200, correlations.content
    [counterpart] = [c for row in correlations.json() for c in row["counterparts"]]
    assert counterpart["access"] == "flag" and counterpart["report_id"] is None, counterpart
    tokens.append(counterpart["flag"])
    for token in tokens:
        flag = policy.flag_at(alder, token)
        assert flag is not None and flag.report_id == restricted.pk, token
        assert client.get(reverse("intelligence:flag", args=[token])).status_code == 200, token
    # The phone's flag reads the same wherever Alder meets it: search, correlation, the phone's page.
    [on_phone] = entity_flags(client, phone_entity("07700 900671").pk)
    assert tokens[0] == tokens[2] == on_phone["token"]
    assert tokens[1] != tokens[0]  # the person's flag is another flag


def test_a_refused_request_shows_on_its_own_flag_only_and_may_be_asked_again(forces) -> None:
    holder, alder = forces["bracken"], forces["alder"]
    restricted = report(
        holder,
        "Restricted: 07700 900681, 07700 900682.",
        phone("07700 900681"),
        phone("07700 900682"),
        level="restricted",
    )
    a = flag_token(alder.pk, restricted.pk, phone_entity("07700 900681").pk)
    b = flag_token(alder.pk, restricted.pk, phone_entity("07700 900682").pk)
    client = verified_client(alder)
    first = client.post(reverse("intelligence:request-access", args=[a]), {"reason": "Op Lantern"})
    assert first.status_code == 302 and first["Location"] == reverse("intelligence:flag", args=[a])
    request = AccessRequest.unscoped_objects.get(requester=alder)
    supervisor = colleague(holder, Role.SUPERVISOR)
    services.access_request_decide(actor=supervisor, request_id=request.pk, grant=False, reason="Not now")
    page_a = client.get(reverse("intelligence:flag", args=[a])).content.decode()
    assert 'data-testid="request-status"' in page_a and "refused" in page_a and "Not now" in page_a
    assert 'data-testid="request-access"' in page_a  # asked again from the same flag
    page_b = client.get(reverse("intelligence:flag", args=[b])).content.decode()
    assert 'data-testid="request-status"' not in page_b and "Not now" not in page_b
    again = ask(client, a)
    assert again.status_code == 201 and again.json()["id"] != request.pk and again.json()["status"] == "pending"
    # Another analyst, posting the page's form with Alder's token, makes nothing.
    other = verified_client(colleague(alder))
    assert other.post(reverse("intelligence:request-access", args=[a]), {"reason": "probe"}).status_code == 404
    assert AccessRequest.unscoped_objects.count() == 2


# --- from the review of the change: nothing else pairs one report's flags -----------------------------------


def test_a_flag_gives_the_day_never_the_time_that_would_mark_its_report(forces) -> None:
    """The time to the microsecond is the report's own: the same on its flags on two subjects."""
    alder = forces["alder"]
    report(forces["bracken"], "Both: 07700 900681 and 07700 900682.", phone("07700 900681"), phone("07700 900682"),
           level="restricted")  # fmt: skip
    client = verified_client(alder)
    for number in ("07700 900681", "07700 900682"):
        [flag] = entity_flags(client, phone_entity(number).pk)
        assert "created_at" not in flag and re.fullmatch(r"\d{4}-\d{2}-\d{2}", flag["recorded_on"]), flag
        by_token = client.get(f"/api/v1/flags/{flag['token']}?reason=Op").json()
        assert "created_at" not in by_token and by_token["recorded_on"] == flag["recorded_on"]
        [found] = client.get("/api/v1/search", {"q": number, "reason": "Op"}).json()["flags"]
        assert "created_at" not in found and found["recorded_on"] == flag["recorded_on"]


def test_a_search_gives_a_flag_per_subject_not_one_per_report(forces) -> None:
    """One flag for a report naming two people the search matched, against two searches finding one each,
    would say that one report names both."""
    alder = forces["alder"]
    restricted = report(
        forces["bracken"],
        "Ilir Krasniqi and Ilir Krasnici share the flat.",
        SubjectInput(kind="person", value="Ilir Krasniqi", role="suspect"),
        SubjectInput(kind="person", value="Ilir Krasnici", role="suspect"),
        level="restricted",
    )
    client = verified_client(alder)
    both = client.get("/api/v1/search", {"q": "Ilir Krasniqi", "reason": "Op"}).json()["flags"]
    assert len(both) == 2 and len({f["token"] for f in both}) == 2, both
    assert {policy.flag_at(alder, f["token"]).report_id for f in both} == {restricted.pk}  # type: ignore[union-attr]
    page = client.get(reverse("search:search"), {"q": "Ilir Krasniqi"}).content.decode()
    assert "2 flags" in page and "2 reports" not in page


def test_correlation_flags_follow_the_reports_read_in_full_never_sit_among_them_by_id(forces) -> None:
    """Placed among readable reports in id order, a flag's neighbours would bound its report's id."""
    alder, bracken = forces["alder"], forces["bracken"]
    number = "07700 900691"
    older = report(bracken, f"Shared one: {number}.", phone(number))
    report(bracken, f"Restricted: {number}.", phone(number), level="restricted")
    newer = report(bracken, f"Shared two: {number}.", phone(number))
    mine = report(alder, f"Ours: {number}.", phone(number))
    counterparts = [
        c
        for row in verified_client(alder).get(f"/api/v1/reports/{mine.pk}/correlations").json()
        for c in row["counterparts"]
    ]
    assert [(c["access"], c["report_id"]) for c in counterparts] == [
        ("full", newer.pk),
        ("full", older.pk),
        ("flag", None),
    ]


def test_two_watches_on_two_subjects_of_one_report_get_unrelated_flags(
    forces, django_capture_on_commit_callbacks
) -> None:
    """One alert (or one link) for a report naming both watched phones, against two for two reports,
    would say that one report names both."""
    watcher = forces["alder"]
    client = verified_client(watcher)
    for number in ("07700 900701", "07700 900702"):
        assert post_json(client, "/api/v1/watches", {"query": number, "reason": "Op"}).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        restricted = report(
            forces["bracken"], "Both phones.", phone("07700 900701"), phone("07700 900702"), level="restricted"
        )
    links = sorted(Notification.objects.filter(recipient=watcher, kind="watch_flag").values_list("link", flat=True))
    expected = sorted(
        reverse("intelligence:flag", args=[flag_token(watcher.pk, restricted.pk, phone_entity(n).pk)])
        for n in ("07700 900701", "07700 900702")
    )
    assert links == expected and len(set(links)) == 2
    # Run again (an edit or release reruns it): nothing told twice.
    from cairn.search.services import notify_watchers

    with django_capture_on_commit_callbacks(execute=True):
        notify_watchers([restricted.pk])
    assert Notification.objects.filter(recipient=watcher, kind="watch_flag").count() == 2


def test_notifications_made_before_tokens_link_to_the_report_flag_after_the_migration(forces) -> None:
    """Migration notifications/0002 rewrites a hit or watch flag's link by id (now "not found")."""
    from importlib import import_module

    from django.apps import apps

    alder = forces["alder"]
    restricted = report(forces["bracken"], "Restricted: 07700 900711.", phone("07700 900711"), level="restricted")
    shared = report(forces["bracken"], "Shared: 07700 900711.", phone("07700 900711"))
    by_id = f"/intelligence/{restricted.pk}/"
    old = Notification.objects.create(recipient=alder, kind="hit_flag", text="x", link=by_id)
    readable = Notification.objects.create(recipient=alder, kind="hit", text="x", link=f"/intelligence/{shared.pk}/")
    migration = import_module("cairn.notifications.migrations.0002_flag_links")
    migration.to_tokens(apps, None)
    old.refresh_from_db()
    readable.refresh_from_db()
    assert old.link == reverse("intelligence:flag", args=[flag_token(alder.pk, restricted.pk, None)])
    assert verified_client(alder).get(old.link).status_code == 200
    assert readable.link == f"/intelligence/{shared.pk}/"  # a report read in full keeps its link
    migration.to_ids(apps, None)
    old.refresh_from_db()
    assert old.link == by_id


def test_the_audit_log_does_not_pair_flags_for_the_auditors_of_the_organisation_that_saw_them(forces) -> None:
    """Alder's officer looks at both flags of one Bracken report and asks from one; Bracken refuses. Alder's
    auditor sees that it happened, never the report's id or reference; Bracken's auditor sees it all."""
    alder, bracken = forces["alder"], forces["bracken"]
    restricted = report(bracken, "Both: 07700 900721, 07700 900722.", phone("07700 900721"), phone("07700 900722"),
                        level="restricted")  # fmt: skip
    client = verified_client(alder)
    tokens = [entity_flags(client, phone_entity(n).pk)[0]["token"] for n in ("07700 900721", "07700 900722")]
    for token in tokens:
        assert client.get(reverse("intelligence:flag", args=[token])).status_code == 200
    asked = ask(client, tokens[0])
    supervisor = colleague(bracken, Role.SUPERVISOR)
    services.access_request_decide(actor=supervisor, request_id=asked.json()["id"], grant=False, reason="Not now")

    def log(org_user: Any) -> str:
        auditor = colleague(org_user, Role.AUDITOR)
        page = verified_client(auditor).get(reverse("audit:log"))
        assert page.status_code == 200
        return page.content.decode()

    theirs = log(alder)
    assert "seen as a flag" in theirs and "asked for a flagged report" in theirs and "refused" in theirs
    assert not re.search(rf"intelligence\.report\s+{restricted.pk}\b", theirs) and restricted.reference not in theirs
    holders = log(bracken)
    assert f"intelligence.report {restricted.pk}" in holders and restricted.reference in holders


def test_looking_at_a_flag_is_audited_and_a_token_that_is_not_one_records_nothing(forces) -> None:
    from cairn.audit.models import AuditEntry

    alder = forces["alder"]
    restricted = report(forces["bracken"], "Restricted: 07700 900731.", phone("07700 900731"), level="restricted")
    entity = phone_entity("07700 900731")
    token = flag_token(alder.pk, restricted.pk, entity.pk)
    client = verified_client(alder, reason="Op Lantern 31")
    seen = AuditEntry.objects.filter(actor_username=alder.username, object_type="intelligence.report")
    before = seen.count()
    assert client.get(reverse("intelligence:flag", args=[token])).status_code == 200
    assert client.get(f"/api/v1/flags/{token}?reason=Op+Lantern+32").status_code == 200
    page, api = seen.order_by("id")[before:]
    assert (page.object_id, page.reason, page.detail) == (
        str(restricted.pk),
        "Op Lantern 31",
        {"access": "flag", "entity_id": entity.pk},
    )
    assert (api.reason, api.detail) == ("Op Lantern 32", {"access": "flag", "entity_id": entity.pk, "api": True})
    assert page.subject_organisation_id == api.subject_organisation_id == forces["bracken"].organisation_id
    stranger = flag_token(alder.pk + 1, restricted.pk, entity.pk)
    assert client.get(reverse("intelligence:flag", args=[stranger])).status_code == 404
    assert client.get(f"/api/v1/flags/{stranger}?reason=x").status_code == 404
    assert seen.count() == before + 2
