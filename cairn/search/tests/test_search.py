"""Search as people use it: any spelling, any format, within the access rule, with reasons and watches."""

from __future__ import annotations

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cairn.access.flags import flag_token
from cairn.accounts.choices import OrganisationKind, Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, UserFactory, flag_report, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.notifications.models import Notification
from cairn.search import selectors
from cairn.search import services as watches
from cairn.search.selectors import SearchInputError, search

pytestmark = pytest.mark.django_db


def report(author, text: str, *subjects: SubjectInput, level: str = "shared"):
    return services.report_submit(
        actor=author,
        data=ReportInput(
            text=text,
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination=level,
            subjects=list(subjects),
        ),
    )


def person(name: str, dob: str = "") -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob)


@pytest.fixture
def forces():
    a, b, c = (OrganisationFactory(code=code) for code in ("alder", "bracken", "calder"))
    return {
        code: UserFactory(organisation=org, roles=[Role.ANALYST])
        for code, org in (("alder", a), ("bracken", b), ("calder", c))
    }


@pytest.mark.parametrize(
    ("query", "written"),
    [
        ("Nguyen Van An", ["Nguyễn Văn An", "AN Nguyen Van", "Ngyuen Van An"]),
        ("Mohammed Ali", ["Muhammad Ali", "Mohamad ALI", "Ali Mohammed"]),
        ("Wojciechowski Piotr", ["Piotr Wojchiechowski", "Piotr Wojciechowski", "P. Wojciechowski"]),
    ],
)
def test_people_by_any_spelling_across_forces(forces, query: str, written: list[str]) -> None:
    made = []
    for user, name in zip(forces.values(), written, strict=True):
        made.append(report(user, f"{name} was seen at the car wash.", person(name)))
    result = search(actor=forces["alder"], query=query)
    found = {r.id for h in result.hits for r in h.reports}
    assert found == {r.pk for r in made}, [(h.label, h.score, h.why) for h in result.hits]
    assert all(h.why for h in result.hits)


def test_year_of_birth_narrows_and_explains(forces) -> None:
    report(forces["alder"], "Ana Popescu at the farm.", person("Ana Popescu", "1990-04-02"))
    report(forces["bracken"], "Ana Popescu at the hotel.", person("Ana Popescu", "1971"))
    result = search(actor=forces["alder"], query="Ana Popescu", dob="1990")
    assert [h.birth_date for h in result.hits] == ["1990-04-02"]
    assert any("born" in why for why in result.hits[0].why)
    swapped = search(actor=forces["alder"], query="Ana Popescu", dob="1990-02-04")
    assert any("swapped" in why for h in swapped.hits for why in h.why)


def test_a_phone_in_another_format_finds_it(forces) -> None:
    made = report(
        forces["bracken"], "Driver uses 07700 900321.", SubjectInput(kind="phone", value="07700 900321", role="user")
    )
    for written in ["+44 7700 900321", "0044-7700-900321", "(07700) 900 321"]:
        result = search(actor=forces["alder"], query=written)
        assert result.understood_as == "phone number"
        assert [r.id for h in result.hits for r in h.reports] == [made.pk]


def test_restricted_is_a_flag_confidential_is_nothing_and_counts_do_not_leak(forces) -> None:
    restricted = report(
        forces["bracken"], "Zebra crossing meeting with Dritan Hoxha.", person("Dritan Hoxha"), level="restricted"
    )
    report(
        forces["calder"],
        "Zebra crossing meeting again with Dritan Hoxha.",
        person("Dritan Hoxha"),
        level="confidential",
    )
    result = search(actor=forces["alder"], query="Dritan Hoxha")
    assert result.hits == [] and result.total == 0
    assert [flag_report(forces["alder"], f.token) for f in result.flags] == [restricted.pk]
    assert result.flags[0].organisation_code == "bracken"
    words = search(actor=forces["alder"], query="zebra crossing", kind="text")
    assert words.total == 0 and words.flags == [] and words.facets["organisation"] == []


def test_charity_sees_nothing_through_search(forces) -> None:
    report(forces["bracken"], "Dritan Hoxha again.", person("Dritan Hoxha"))
    charity = UserFactory(
        organisation=OrganisationFactory(code="care", kind=OrganisationKind.CHARITY), roles=[Role.VICTIM_CARE]
    )
    result = search(actor=charity, query="Dritan Hoxha")
    assert result.total == 0 and result.flags == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "Type a name"),
        ({"q": "a"}, "at least two characters"),
        ({"q": "x" * 10_000}, "keep it under"),
        ({"q": "Ana", "dob": "1985-13-45"}, "not a real date"),
        ({"q": "Ana", "dob": "yesterday"}, "not a date of birth"),
        ({"q": "Ana", "date_from": "2026-99-01"}, "not a date"),
        ({"q": "Ana", "nationality": "Vietnam"}, "is not a country code"),
        ({"q": "Ana", "page": "abc"}, "not a number"),
    ],
)
def test_bad_input_gets_a_clear_message(forces, params: dict, message: str) -> None:
    client = verified_client(forces["alder"])
    response = client.get(reverse("search:search"), params)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("query", ["'; DROP TABLE search_personname; --", ".*[(", '"unbalanced quote', "a & b | !c"])
def test_metacharacters_are_just_text(forces, query: str) -> None:
    response = verified_client(forces["alder"]).get(reverse("search:search"), {"q": query})
    assert response.status_code == 200
    assert 'data-testid="understood"' in response.content.decode()


def test_page_past_the_end_says_so(forces) -> None:
    report(forces["alder"], "Tomasz Nowak at the factory.", person("Tomasz Nowak"))
    result = search(actor=forces["alder"], query="Tomasz Nowak", page=9)
    assert "only 1 page" in result.message


def test_words_in_many_reports_are_ranked_among_the_newest_the_searcher_may_read(forces, monkeypatch) -> None:
    # Small cap and first window, so the search has to widen its window more than once.
    monkeypatch.setattr(selectors, "MAX_TEXT_RESULTS", 5)
    monkeypatch.setattr(selectors, "TEXT_WINDOW", 1)
    alder, bracken = forces["alder"], forces["bracken"]
    oldest_best = report(bracken, "The car wash, the car wash and again the car wash on the bypass.")
    made = [report(alder if i % 2 else bracken, f"Workers seen at the car wash, visit {i}.") for i in range(6)]
    best_of_newest = report(alder, "Car wash staff moved between the car wash sites.")
    for _ in range(3):  # newer than all of them, but alder may not read them: neither shown nor counted
        report(bracken, "The car wash is a front.", level="confidential")
    unrelated = report(alder, "Nothing of interest at the bakery.")

    result = search(actor=alder, query="car wash")

    shown = [r.id for r in result.reports]
    assert result.understood_as == "words in reports"
    assert result.total == 5 and result.total_is_capped
    assert set(shown) == {best_of_newest.pk, *(r.pk for r in made[-4:])}
    assert shown[0] == best_of_newest.pk
    assert oldest_best.pk not in shown and unrelated.pk not in shown


def test_words_in_few_reports_are_all_found_best_first(forces) -> None:
    alder = forces["alder"]
    plain = report(alder, "A van was seen at the nail bar.")
    stronger = report(alder, "The nail bar next to the nail bar supplier.")
    report(forces["bracken"], "The nail bar is watched.", level="confidential")

    result = search(actor=alder, query="nail bar")

    assert [r.id for r in result.reports] == [stronger.pk, plain.pk]
    assert result.total == 2 and not result.total_is_capped


def test_a_search_needs_a_reason_and_is_audited_with_it(forces) -> None:
    report(forces["alder"], "Tomasz Nowak at the factory.", person("Tomasz Nowak"))
    client = verified_client(forces["alder"], reason="")
    response = client.get(reverse("search:search"), {"q": "Tomasz Nowak"})
    assert response.status_code == 302 and reverse("core:reason") in response["Location"]
    client = verified_client(forces["alder"], reason="Op Lantern 7")
    assert client.get(reverse("search:search"), {"q": "Tomasz Nowak"}).status_code == 200
    entry = AuditEntry.objects.filter(action="search").latest("id")
    assert entry.reason == "Op Lantern 7" and entry.detail["results"] == 1
    api = client.get("/api/v1/search", {"q": "Tomasz Nowak"})
    assert api.status_code == 422 and "reason" in api.json()["message"]
    api = client.get("/api/v1/search", {"q": "Tomasz Nowak", "reason": "Op Lantern 7"})
    assert api.status_code == 200 and api.json()["total"] == 1


def test_watch_alerts_within_the_rule(forces, django_capture_on_commit_callbacks) -> None:
    watcher = forces["alder"]
    watches.watch_create(actor=watcher, query="07700 900555")
    watches.watch_create(actor=watcher, query="Ilir Krasniqi")
    with django_capture_on_commit_callbacks(execute=True):
        shared = report(
            forces["bracken"], "Call to 07700 900555.", SubjectInput(kind="phone", value="+44 7700 900555", role="user")
        )
    with django_capture_on_commit_callbacks(execute=True):
        restricted = report(
            forces["calder"], "Ilir KRASNIQI controls the flat.", person("Ilir KRASNIQI"), level="restricted"
        )
    with django_capture_on_commit_callbacks(execute=True):
        report(forces["calder"], "Ilir Krasniqi in a confidential one.", person("Ilir Krasniqi"), level="confidential")
    mine = list(Notification.objects.filter(recipient=watcher).order_by("created_at", "id"))
    person_id = restricted.statements.get(entity__kind="person", prop="name").entity_id
    flag = f"/intelligence/flags/{flag_token(watcher.pk, restricted.pk, person_id)}/"  # the token, never the id
    assert [n.link for n in mine] == [f"/intelligence/{shared.pk}/", flag]
    assert "holds new restricted intelligence" in mine[1].text
    told = Notification.objects.get(recipient=forces["calder"], kind="interest")
    assert restricted.reference in told.text
    assert watcher.username not in told.text and watcher.organisation.name not in told.text


def test_a_watch_on_words_is_told_only_of_reports_its_owner_may_read(
    forces, django_capture_on_commit_callbacks
) -> None:
    """Search never flags restricted reports by their words; a word watch must not either."""
    watches.watch_create(actor=forces["alder"], query="skelmorlie quarry", kind="text")
    with django_capture_on_commit_callbacks(execute=True):
        report(forces["calder"], "Informant at the Skelmorlie quarry.", level="restricted")
    assert not Notification.objects.filter(recipient=forces["alder"]).exists()
    assert not Notification.objects.filter(recipient=forces["calder"], kind="interest").exists()
    with django_capture_on_commit_callbacks(execute=True):
        shared = report(forces["bracken"], "Vans leave the Skelmorlie quarry at night.")
    assert [n.link for n in Notification.objects.filter(recipient=forces["alder"])] == [f"/intelligence/{shared.pk}/"]


def test_a_watcher_hears_once_when_an_edit_or_a_sanitised_version_lets_them_read(
    forces, django_capture_on_commit_callbacks
) -> None:
    watcher, holder = forces["alder"], forces["calder"]
    supervisor = UserFactory(organisation=holder.organisation, roles=[Role.SUPERVISOR])
    watches.watch_create(actor=watcher, query="Besnik Gashi")
    with django_capture_on_commit_callbacks(execute=True):
        kept = report(holder, "Besnik Gashi runs the flat.", person("Besnik Gashi"), level="confidential")
    assert not Notification.objects.filter(recipient=watcher).exists()

    # Widened by an edit: told once; edited again: not told again.
    for text in ("Besnik Gashi runs the flat on Quay Street.", "Besnik Gashi runs two flats."):
        with django_capture_on_commit_callbacks(execute=True):
            services.report_edit(
                actor=holder, report=kept, changes={"text": text, "dissemination": "shared"}, reason="wider"
            )
    assert [n.link for n in Notification.objects.filter(recipient=watcher)] == [f"/intelligence/{kept.pk}/"]

    # A confidential original stays unseen; its sanitised version, shared, is found by name and alerts.
    with django_capture_on_commit_callbacks(execute=True):
        hidden = report(
            holder, "Source: Arben Krasniqi pays the drivers.", person("Arben Krasniqi"), level="confidential"
        )
    watches.watch_create(actor=watcher, query="Arben Krasniqi")
    subject = hidden.statements.get(prop="subject").entity_id
    with django_capture_on_commit_callbacks(execute=True):
        version = services.sanitised_version_create(
            actor=supervisor,
            report=hidden,
            text="Arben Krasniqi is believed to pay drivers.",
            dissemination="shared",
            subject_entity_ids=[subject],
        )
    found = search(actor=watcher, query="Arben Krasniqi")
    assert [r.id for h in found.hits for r in h.reports] == [version.pk]
    assert found.hits[0].birth_date == "" and found.flags == []
    assert Notification.objects.filter(recipient=watcher, link=f"/intelligence/{version.pk}/", kind="watch").exists()
    assert not Notification.objects.filter(recipient=watcher, link=f"/intelligence/{hidden.pk}/").exists()


def test_watch_rejects_bad_input(forces) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least two"):
        watches.watch_create(actor=forces["alder"], query="x")


def test_understands_what_it_is_given() -> None:
    from cairn.search.selectors import understand

    assert understand("AB12 CDE")[1] == "vrm"
    assert understand("SW1A 1AA")[1] == "postcode"
    assert understand("someone@example.com")[1] == "email"
    assert understand("GB82 WEST 1234 5698 7654 32")[1] == "iban"
    assert understand("Nguyen Van An")[0] == "person"
    with pytest.raises(SearchInputError):
        understand("12", "selector")


def test_one_slip_in_a_name_still_scores_as_the_name() -> None:
    from cairn.search.scoring import score_name

    # 'bopescu': a wrong first letter costs Jaro-Winkler (0.85) more than one slip is worth.
    slip = score_name(["bopescu", "ana"], ["popescu", "ana"], {}, {})
    assert any("one letter out" in why for why in slip.why)
    assert slip.score >= 0.85
    # Short names one letter apart are different names.
    assert score_name(["ana"], ["ava"], {}, {}).score < 0.55


def test_a_typists_slip_in_a_three_letter_name_counts_for_less_than_a_longer_names_slip() -> None:
    from cairn.search.scoring import SLIP_CREDIT, TYPING_SLIP_CREDIT, _token_match

    assert _token_match("nah", ["phan", "anh"], set(), {}) == (
        TYPING_SLIP_CREDIT,
        "'nah' ~ 'anh' (two letters swapped)",
    )
    assert _token_match("tqo", ["tao"], set(), {}) == (TYPING_SLIP_CREDIT, "'tqo' ~ 'tao' (a neighbouring key)")
    assert TYPING_SLIP_CREDIT < SLIP_CREDIT
    # Any other one-letter difference between short names is another name: 'v' is not beside 'n'.
    assert _token_match("ava", ["ana"], set(), {}) == (0.0, "")
    assert _token_match("lam", ["lma", "lan"], set(), {})[0] == TYPING_SLIP_CREDIT
    # The record spelt as typed still comes first.
    from cairn.search.scoring import score_name

    assert (
        score_name(["phan", "anh"], ["phan", "anh"], {}, {}).score
        > score_name(["phan", "nah"], ["phan", "anh"], {}, {}).score
    )


def test_a_short_word_sounds_only_like_words_near_its_length() -> None:
    from cairn.search.scoring import _token_match

    # Double Metaphone codes 'el' as it codes 'olaiya' (AL), and 'zi' as 'xiaa' (S).
    assert _token_match("el", ["olaiya"], {"AL"}, {"olaiya": {"AL"}}) == (0.0, "")
    assert _token_match("xiaa", ["zi"], {"S"}, {"zi": {"S"}}) == (0.0, "")
    assert _token_match("li", ["lee"], {"L"}, {"lee": {"L"}}) == (0.85, "'li' sounds like 'lee'")
    assert _token_match("mohd", ["mohammed"], {"MHMT"}, {"mohammed": {"MHMT"}}) == (
        0.85,
        "'mohd' sounds like 'mohammed'",
    )


def test_a_name_split_or_joined_and_another_transliteration_still_score_as_the_name() -> None:
    from cairn.search.scoring import score_name

    # One record writes 'El Sadig', another 'Elsadig'; either side may be the split one.
    assert score_name(["ikhlas", "el", "sadig"], ["ikhlas", "elsadig"], {}, {}).score >= 0.95
    assert score_name(["altin", "shehu"], ["shehu", "al", "tin"], {}, {}).score >= 0.95
    # Дж- written 'dzh' by one table and 'j' by another; a doubled letter is one letter.
    translit = score_name(["ardzhan", "toska"], ["arjan", "toska"], {}, {})
    assert translit.score >= 0.9 and any("transliteration" in why for why in translit.why)
    # Two short words that do not make up the other name stay two words.
    assert score_name(["al", "tin"], ["altan", "shehu"], {}, {}).score < 0.55


def test_a_names_words_by_length_are_the_same_in_the_database_and_in_python(forces) -> None:
    from cairn.search.models import NameKey
    from cairn.search.selectors import words_by_length

    report(forces["bracken"], "Seen together.", person("Dylan GRIFFITHS"), person("Nguyễn Văn Khoa"), person("Li Bo"))
    stored = dict(NameKey.objects.values_list("key", "by_length"))
    assert stored == {
        "dylan griffiths": "dylan griffiths",
        "khoa nguyen van": "van khoa nguyen",
        "bo li": "bo li",
    }
    assert all(words_by_length(key) == by_length for key, by_length in stored.items())


def test_candidates_are_ordered_so_a_first_letter_slip_keeps_its_place() -> None:
    from cairn.search.selectors import CANDIDATES, _best_names, words_by_length

    # Sorted, 'griffiths ydlan' puts the slipped word last and 'dylan griffiths' first; by length
    # both read '... griffiths', so the true name comes first.
    names = ["griffiths lyda", "griffiths ryan", "dylan griffiths", "griffiths lydia"]
    ranked = _best_names("griffiths ydlan", [(n, words_by_length(n)) for n in names], limit=CANDIDATES)
    assert ranked[0] == "dylan griffiths"
    assert sorted(ranked) == sorted(names)


def test_a_record_with_a_middle_name_the_query_leaves_out_keeps_a_candidate_place() -> None:
    from cairn.search.selectors import CANDIDATES, _best_names, words_by_length

    # More names one letter from the query than there are candidate places, each closer to it
    # letter by letter than the record that adds a middle name; score_name ranks that record above them.
    near = [f"nguyen to{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    near = [n for n in near if n != "nguyen toan"][: CANDIDATES + 50]
    names = [*near, "nguyen toan van"]
    ranked = _best_names("nguyen toan", [(n, words_by_length(n)) for n in names], limit=CANDIDATES)
    assert len(ranked) == CANDIDATES
    assert "nguyen toan van" in ranked[:10]


def test_a_name_holding_every_word_of_the_query_takes_a_candidate_place_before_near_spellings(
    forces, monkeypatch
) -> None:
    from cairn.search import selectors

    monkeypatch.setattr(selectors, "CANDIDATES", 2)  # two places: the near spellings would take both
    for name in ("Nguyen Toab", "Nguyen Toam", "Nguyen Van Toan"):
        report(forces["bracken"], f"{name} was seen at the hostel.", person(name))
    labels = [h.label for h in search(actor=forces["alder"], query="Nguyen Toan").hits]
    assert labels[0] == "Nguyen Van Toan", labels


def test_a_split_name_is_found_by_search(forces) -> None:
    made = report(forces["bracken"], "Ikhlas ELSADIG was seen at the hostel.", person("Ikhlas ELSADIG"))
    result = search(actor=forces["alder"], query="Ikhlas El Sadig")
    hit = next(h for h in result.hits if made.pk in {r.id for r in h.reports})
    # Scored as the same name (before: 0.63, two words unmatched), with the reason shown.
    assert hit.score >= 0.95 and any("elsadig" in why for why in hit.why)


def test_filters_narrow_a_selector_search_and_leave_its_flags(forces) -> None:
    from cairn.search.selectors import Filters

    phone = SubjectInput(kind="phone", value="07700 900777", role="user")
    alder_report = report(forces["alder"], "A phone used at the car wash.", phone)
    bracken_report = report(forces["bracken"], "The same phone at the nail bar.", phone)
    calder_flag = report(forces["calder"], "The phone again, held tight.", phone, level="restricted")

    narrowed = search(actor=forces["alder"], query="07700 900777", filters=Filters(organisation="bracken"))

    assert [r.id for h in narrowed.hits for r in h.reports] == [bracken_report.pk]
    assert alder_report.pk not in {r.id for h in narrowed.hits for r in h.reports}
    # A filter narrows what is shown in full; the holder of restricted intelligence is still named.
    assert [flag_report(forces["alder"], f.token) for f in narrowed.flags] == [calder_flag.pk]


def test_filters_never_narrow_the_flags_of_a_person_search(forces) -> None:
    """A flag shows who holds what and when; a filter on anything else must not reveal it by toggling."""
    from cairn.search.selectors import Filters

    car_wash = SubjectInput(kind="address", value="9 Quay Street, Bracken BR1 4QT", role="location")
    car_wash.premises_type = "car_wash"
    held = report(
        forces["calder"], "Luan Berisha runs the car wash.", person("Luan Berisha"), car_wash, level="restricted"
    )
    shown = report(forces["bracken"], "Luan Berisha seen at the port.", person("Luan Berisha"))

    for filters in (
        Filters(premises_type="car_wash"),
        Filters(premises_type="nail_bar"),
        Filters(source_evaluation="1"),
        Filters(source_evaluation="2"),
        Filters(intelligence_assessment="E"),
        Filters(),
    ):
        result = search(actor=forces["alder"], query="Luan Berisha", filters=filters)
        assert [flag_report(forces["alder"], f.token) for f in result.flags] == [held.pk], filters
    # The filters still narrow what is read in full.
    assert search(actor=forces["alder"], query="Luan Berisha", filters=Filters(premises_type="nail_bar")).hits == []
    graded = search(actor=forces["alder"], query="Luan Berisha", filters=Filters(source_evaluation="2"))
    assert [r.id for h in graded.hits for r in h.reports] == [shown.pk]


def test_the_day_of_birth_and_the_nationality_never_decide_a_flag(forces) -> None:
    """Only the name and the year asked for decide a flag: trying days or countries in turn must not tell."""
    subject = person("Ana Popescu", "1985-03-12")
    subject.nationality = "RO"
    held = report(forces["calder"], "Ana Popescu recruits at the bus station.", subject, level="restricted")
    # 'Ana Popescu Maria' is near the flag threshold by name: the day or country asked would tip it.
    flags = {
        (dob, nationality): [
            flag_report(forces["alder"], f.token)
            for f in search(actor=forces["alder"], query="Ana Popescu Maria", dob=dob, nationality=nationality).flags
        ]
        for dob in ("1985", "1985-03-12", "1985-07-01")
        for nationality in ("", "RO", "GB")
    }
    assert len({tuple(f) for f in flags.values()}) == 1, flags
    # A flag still needs a name close enough, and the year still narrows it (the nominal check).
    assert [
        flag_report(forces["alder"], f.token)
        for f in search(actor=forces["alder"], query="Ana Popescu", dob="1985-07-01").flags
    ] == [held.pk]
    assert search(actor=forces["alder"], query="Ana Popescu", dob="1990").flags == []


def test_the_distinct_names_follow_the_name_rows(forces) -> None:
    from cairn.search.models import NameKey, PersonName

    first = report(forces["alder"], "Seen at the farm.", person("Ilir Hoxha"))
    second = report(forces["bracken"], "Seen at the port.", person("HOXHA Ilir"), person("Besnik Gashi"))
    # One row per name written, one distinct name per set of words, whatever their order.
    assert set(NameKey.objects.values_list("key", flat=True)) == {"hoxha ilir", "besnik gashi"}

    # Reports are never deleted (their statements are protected); name rows can be, and their names follow.
    PersonName.unscoped_objects.filter(report_id=second.pk).delete()
    # The name still written in another report stays; the one no report holds any more goes.
    assert set(NameKey.objects.values_list("key", flat=True)) == {"hoxha ilir"}
    PersonName.unscoped_objects.filter(report_id=first.pk).delete()
    assert not NameKey.objects.exists()


def test_a_common_name_past_the_candidate_limit_is_still_found_by_year(forces, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    for year in (1980, 1981, 1982, 1983):
        report(forces["alder"], "Seen at the car wash.", person("Tran Van Binh", f"{year}-01-01"))
    wanted = report(forces["bracken"], "Seen at the nail bar.", person("Tran Van Binh", "1990-05-05"))

    # Only two rows are read without a year; with one, the rows of other years do not use up the two.
    assert len(search(actor=forces["alder"], query="Tran Van Binh").hits) == 2
    by_year = search(actor=forces["alder"], query="Tran Van Binh", dob="1990")
    assert [r.id for h in by_year.hits for r in h.reports] == [wanted.pk]


def test_a_date_of_birth_that_agrees_ranks_a_perfect_name_above_the_same_name_without_one(forces) -> None:
    # Written first, so the undated record has the lower entity id and would win a tie on shown score.
    undated = report(forces["alder"], "Lena Hartmann at the nail bar.", person("Lena Hartmann"))
    dated = report(forces["bracken"], "Lena Hartmann at the station.", person("Lena Hartmann", "1988-05-17"))
    result = search(actor=forces["alder"], query="Lena Hartmann", dob="1988")
    assert [r.id for h in result.hits for r in h.reports] == [dated.pk, undated.pk]
    assert [h.score for h in result.hits] == [1.0, 1.0]


def test_a_premises_type_filter_finds_the_reports_naming_such_a_place(forces) -> None:
    from cairn.search.selectors import Filters

    phone = SubjectInput(kind="phone", value="07700 900888", role="user")
    car_wash = SubjectInput(kind="address", value="14 Mill Lane, Aldermoor AM3 2QT", role="location")
    car_wash.premises_type = "car_wash"
    at_the_car_wash = report(forces["alder"], "The phone at the car wash on Mill Lane.", phone, car_wash)
    elsewhere = report(forces["bracken"], "The same phone at a house.", phone)
    # A restricted report naming a car wash stays a flag: the filter narrows what is read in full.
    hidden = report(forces["calder"], "The phone, held tight.", phone, car_wash, level="restricted")

    narrowed = search(actor=forces["alder"], query="07700 900888", filters=Filters(premises_type="car_wash"))
    assert [r.id for h in narrowed.hits for r in h.reports] == [at_the_car_wash.pk]
    assert [flag_report(forces["alder"], f.token) for f in narrowed.flags] == [hidden.pk]
    words = search(actor=forces["bracken"], query="phone", filters=Filters(premises_type="car_wash"))
    assert [r.id for r in words.reports] == [at_the_car_wash.pk]
    # Counted over what the searcher may read: Calder's restricted car wash is not in the facet.
    everything = search(actor=forces["bracken"], query="phone")
    assert everything.facets["premises type"] == [("Car wash", 1)]

    client = verified_client(forces["alder"], reason="Op Lantern 8")
    page = client.get(reverse("search:search"), {"q": "07700 900888", "premises_type": "car_wash"}).content.decode()
    assert at_the_car_wash.reference in page and elsewhere.reference not in page
    api = client.get("/api/v1/search", {"q": "07700 900888", "premises_type": "car_wash", "reason": "Op Lantern 8"})
    assert api.status_code == 200 and api.json()["total"] == 1
    bad = client.get(reverse("search:search"), {"q": "07700 900888", "premises_type": "castle"})
    assert bad.status_code == 200 and "Choose a premises type from the list." in bad.content.decode()
    api = client.get("/api/v1/search", {"q": "07700 900888", "premises_type": "castle", "reason": "Op Lantern 8"})
    assert api.status_code == 422 and "premises type" in api.json()["message"]


def test_did_you_mean_offers_a_spelling_only_from_reports_the_searcher_may_read(
    forces, django_capture_on_commit_callbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    from cairn.search import vocabulary
    from cairn.search.tasks import add_report_words

    with django_capture_on_commit_callbacks(execute=True):
        shared = report(forces["bracken"], "Women were moved between brothels in the port.")
        secret = report(forces["calder"], "The informant names the quarry at Skelmorlie.", level="confidential")
    # Each arrival queued the task that adds its words; run it as the worker would.
    queued = DBTaskResult.objects.filter(task_path="cairn.search.tasks.add_report_words")
    assert sorted(queued.values_list("args_kwargs__args", flat=True)) == sorted([[[shared.pk]], [[secret.pk]]])
    add_report_words.call([shared.pk, secret.pk])

    corrected = search(actor=forces["alder"], query="brothles port")
    assert corrected.total == 0 and corrected.did_you_mean == "brothels port"
    assert [r.id for r in search(actor=forces["alder"], query=corrected.did_you_mean).reports] == [shared.pk]
    # 'Skelmorlie' is in the vocabulary (a confidential report uses it) but no report Alder may read
    # does, so nothing is offered: the correction would tell Alder the word exists somewhere.
    assert vocabulary.corrections("skelmorly") == ["skelmorlie"]
    assert search(actor=forces["alder"], query="skelmorly").did_you_mean == ""
    # Calder, who wrote it, is offered it.
    assert search(actor=forces["calder"], query="skelmorly").did_you_mean == "skelmorlie"
    # Known words, quoted phrases and operators are left as typed.
    assert search(actor=forces["alder"], query="brothels nowhere").did_you_mean == ""
    assert vocabulary.corrections('"brothles port"') == []

    client = verified_client(forces["alder"], reason="Op Lantern 9")
    page = client.get(reverse("search:search"), {"q": "brothles port", "kind": "text"}).content.decode()
    assert 'data-testid="did-you-mean"' in page and "q=brothels+port" in page
    api = client.get("/api/v1/search", {"q": "brothles port", "reason": "Op Lantern 9"}).json()
    assert api["did_you_mean"] == "brothels port" and api["total"] == 0
    assert AuditEntry.objects.filter(action="search").latest("id").detail["did_you_mean"] == "brothels port"


def test_the_vocabulary_is_rebuilt_by_the_command(forces) -> None:
    from django.core.management import call_command

    from cairn.search.models import SearchWord

    report(forces["alder"], "A minibus collected workers at dawn.")
    SearchWord.objects.all().delete()
    call_command("search_words")
    assert {"minibus", "collected", "workers", "dawn"} <= set(SearchWord.objects.values_list("word", flat=True))
    assert AuditEntry.objects.filter(object_type="search.vocabulary").exists()


def test_did_you_mean_ranks_by_edits_then_by_how_many_reports_use_a_spelling(forces) -> None:
    from cairn.search import vocabulary

    for text in ("Seen at the hotel in Oxford.", "The Oxford hotel again.", "A typo: ofxor, and Mr Goel."):
        report(forces["alder"], text)
    vocabulary.rebuild()
    # Two letters swapped leave 'htoel' two trigrams of 'hotel'; one edit still finds it.
    assert vocabulary.corrections("htoel")[0] == "hotel"
    # 'ofxor' and 'oxford' are both one edit from 'ofxord': the spelling two reports use comes first.
    assert vocabulary.corrections("ofxord")[:2] == ["oxford", "ofxor"]


def test_did_you_mean_is_the_same_whatever_hidden_reports_write(forces) -> None:
    """Whether a slip is corrected must not depend on a hidden report using the slip as written."""
    from cairn.search import vocabulary

    report(forces["bracken"], "Two women were kept at the hotel by the station.")
    vocabulary.rebuild()
    assert search(actor=forces["alder"], query="hotle station").did_you_mean == "hotel station"
    # A confidential report happens to write 'hotle': Alder is offered the same correction.
    report(forces["calder"], "Source mistyped: the hotle by the station.", level="confidential")
    vocabulary.rebuild()
    assert search(actor=forces["alder"], query="hotle station").did_you_mean == "hotel station"
    # Nor is a spelling only hidden reports use offered, or counted as a word Alder may read.
    report(forces["calder"], "Payments went through Skelmorlie Quarry.", level="confidential")
    vocabulary.rebuild()
    assert search(actor=forces["alder"], query="skelmorly").did_you_mean == ""


def test_a_search_stopped_by_its_time_limit_says_so(forces, monkeypatch) -> None:
    """The statement timeout is real (PostgreSQL cancels the query); the page and the API explain it."""
    from django.db import connection

    def slow_search_text(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        raise AssertionError("the time limit should have stopped it")

    monkeypatch.setattr(selectors, "SEARCH_TIMEOUT_MS", 200)
    monkeypatch.setattr(selectors, "search_text", slow_search_text)
    with pytest.raises(SearchInputError, match="took too long"):
        search(actor=forces["alder"], query="minibus dawn", kind="text")
    client = verified_client(forces["alder"], reason="Op Lantern 10")
    page = client.get(reverse("search:search"), {"q": "minibus dawn", "kind": "text"})
    assert page.status_code == 200 and "took too long" in page.content.decode()
    api = client.get("/api/v1/search", {"q": "minibus dawn", "kind": "text", "reason": "Op Lantern 10"})
    assert api.status_code == 422 and "took too long" in api.json()["message"]


def test_an_unknown_kind_of_search_is_refused_plainly(forces) -> None:
    client = verified_client(forces["alder"], reason="Op Lantern 11")
    page = client.get(reverse("search:search"), {"q": "Ana Popescu", "kind": "telepathy"})
    assert page.status_code == 200 and "is not one of them" in page.content.decode()
    api = client.get("/api/v1/search", {"q": "Ana Popescu", "kind": "telepathy", "reason": "Op Lantern 11"})
    assert api.status_code == 422 and "telepathy" in api.json()["message"]


def test_an_entity_type_filter_narrows_to_readable_reports_with_such_a_subject(forces) -> None:
    from cairn.search.selectors import Filters

    vehicle = SubjectInput(kind="vrm", value="AB12 CDE", role="user")
    with_van = report(forces["alder"], "A minibus collected workers at dawn.", vehicle)
    on_foot = report(forces["bracken"], "Workers walked to the farm at dawn.", person("Ana Popescu"))
    report(forces["calder"], "The minibus took workers at dawn.", vehicle, level="restricted")

    everything = search(actor=forces["bracken"], query="workers dawn", kind="text")
    assert everything.total == 2  # Calder's restricted minibus is not among them
    vans = search(actor=forces["bracken"], query="workers dawn", kind="text", filters=Filters(entity_type="vehicle"))
    assert [r.id for r in vans.reports] == [with_van.pk]

    client = verified_client(forces["bracken"], reason="Op Lantern 12")
    page = client.get(reverse("search:search"), {"q": "workers dawn", "kind": "text", "entity_type": "person"})
    assert on_foot.reference in page.content.decode() and with_van.reference not in page.content.decode()
    api = client.get(
        "/api/v1/search", {"q": "workers dawn", "kind": "text", "entity_type": "vehicle", "reason": "Op Lantern 12"}
    ).json()
    assert [r["id"] for r in api["reports"]] == [with_van.pk] and api["reports"][0]["created_at"]
    assert AuditEntry.objects.filter(action="search").latest("id").detail["holders"] == [with_van.organisation.name]
    bad = client.get("/api/v1/search", {"q": "workers dawn", "entity_type": "unicorn", "reason": "Op Lantern 12"})
    assert bad.status_code == 422 and "kind of subject" in bad.json()["message"]


def test_the_api_gives_the_dates_the_page_shows_and_says_when_people_are_capped(forces, monkeypatch) -> None:
    restricted = report(forces["calder"], "Ilir Berisha at the flat.", person("Ilir Berisha"), level="restricted")
    for place in ("farm", "port", "hotel"):
        report(forces["bracken"], f"Ilir Berisha at the {place}.", person("Ilir Berisha"))
    monkeypatch.setattr(selectors, "PERSON_LIMIT", 2)
    client = verified_client(forces["alder"], reason="Op Lantern 13")
    body = client.get("/api/v1/search", {"q": "Ilir Berisha", "reason": "Op Lantern 13"}).json()
    assert body["total"] == 2 and body["total_is_capped"] is True
    page = client.get(reverse("search:search"), {"q": "Ilir Berisha"}).content.decode()
    assert "More than 2 people match" in page and "most recently recorded" not in page
    monkeypatch.setattr(selectors, "PERSON_LIMIT", 3)  # exactly as many as match: nothing was left out
    exact = client.get("/api/v1/search", {"q": "Ilir Berisha", "reason": "Op Lantern 13"}).json()
    assert exact["total"] == 3 and exact["total_is_capped"] is False
    assert all(r["created_at"] for h in body["hits"] for r in h["reports"])
    [flag] = body["flags"]
    assert flag_report(forces["alder"], flag["token"]) == restricted.pk and "created_at" not in flag
    assert flag["recorded_on"] == timezone.localdate(restricted.created_at).isoformat()  # the day, not the time


def test_did_you_mean_gives_up_quietly_when_the_searchs_time_is_spent(forces, monkeypatch) -> None:
    """Each statement gets what is left of the search's three seconds, not three seconds of its own."""
    import time

    from django.db import connection, transaction

    from cairn.search import vocabulary

    with CaptureQueriesContext(connection) as spent:
        assert selectors._did_you_mean(forces["alder"], "brothles port", None, time.monotonic() - 1) == ""
    assert len(spent) == 0

    finished = []

    def slow_corrections(text, readable=None):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        finished.append(text)  # reached only if PostgreSQL let the statement run its two seconds
        return ["brothels port"]

    monkeypatch.setattr(vocabulary, "corrections", slow_corrections)
    with transaction.atomic():
        assert selectors._did_you_mean(forces["alder"], "brothles port", None, time.monotonic() + 0.3) == ""
        assert finished == []
        # The search's own transaction is still usable after the cancelled statement.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)


def test_a_name_of_two_letters_is_found_by_its_sound_and_spelling(forces) -> None:
    """Two letters make three trigrams, one of which every name starting alike shares: the sound code finds them."""
    wanted = report(forces["alder"], "Le An at the nail bar.", person("Lê An"))
    sounding = report(forces["bracken"], "Tran Anh at the port.", person("Tran Anh"))
    report(forces["bracken"], "Andrei Popa at the farm.", person("Andrei Popa"))
    result = search(actor=forces["alder"], query="An", kind="person")
    found = {r.id: h.label for h in result.hits for r in h.reports}
    assert found.get(wanted.pk) == "Lê An" and found.get(sounding.pk) == "Tran Anh"
    assert "Andrei Popa" not in found.values()


@pytest.mark.django_db(transaction=True)
def test_two_watch_rounds_about_one_report_at_once_tell_the_watcher_once(monkeypatch) -> None:
    from cairn.core.testing import two_rounds_at_once

    alder = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.ANALYST])
    bracken = UserFactory(organisation=OrganisationFactory(code="bracken"), roles=[Role.ANALYST])
    watches.watch_create(actor=alder, query="07700 900555")
    shared = report(bracken, "Call to 07700 900555.", SubjectInput(kind="phone", value="07700 900555", role="user"))
    Notification.objects.all().delete()  # its own round ran at commit; the race below is two more at once

    # The first round pauses once it has read what the watcher was already told.
    errors = two_rounds_at_once(
        monkeypatch, watches, "_already_told", lambda: watches.notify_watchers([shared.pk]), after=True
    )
    assert errors == {}
    assert Notification.objects.filter(recipient=alder, kind="watch").count() == 1


def test_many_people_matching_a_name_equally_well_are_told_what_would_tell_them_apart(forces) -> None:
    for year in range(1980, 1986):
        report(forces["bracken"], "Seen at the car wash.", person("Tomasz Nowak", dob=str(year)))
    report(forces["calder"], "Source: Tomasz Nowak.", person("Tomasz Nowak"), level="confidential")
    result = search(actor=forces["alder"], query="Tomasz Nowak")
    assert result.tied_at_top == 6  # the six Alder may read, not Calder's hidden one
    assert search(actor=forces["alder"], query="Tomasz Nowak", dob="1983").tied_at_top == 0
    assert search(actor=forces["alder"], query="Tomasz Nowak", nationality="PL").tied_at_top == 0
    client = verified_client(forces["alder"], reason="Op Lantern 10")
    page = client.get(reverse("search:search"), {"q": "Tomasz Nowak"}).content.decode()
    assert "6 results match this name equally well" in page
    api = client.get("/api/v1/search", {"q": "Tomasz Nowak", "reason": "Op Lantern 10"}).json()
    assert api["tied_at_top"] == 6
    report(forces["bracken"], "Seen again.", person("Tomasz Nowakowski"))
    assert search(actor=forces["alder"], query="Tomasz Nowakowski").tied_at_top == 0  # one at the top
