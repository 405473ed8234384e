"""The fixed story the demo walks through: one force's restricted intelligence meets another's report.

Brackenridge Constabulary holds a restricted, supervisor-reviewed report about a phone and the man
who uses it. An Aldermoor officer who then reports the same phone, written another way, is told
that Brackenridge holds intelligence on it and whom to call, without seeing it. The story is the
same for every seed; the world's generator never hands out the story's phone number.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cairn.demo.intelligence import DemoReport
from cairn.intelligence.inputs import ReportInput, SubjectInput

if TYPE_CHECKING:
    from cairn.accounts.models import User
    from cairn.intelligence.models import IntelligenceReport

STORY_PHONE = "07700 900461"
STORY_PHONE_E164 = "+447700900461"
STORY_PHONE_AS_ALDERMOOR_WRITES_IT = "+44 7700 900461"
STORY_HOLDER = "brackenridge"
STORY_AUTHOR = "analyst.brackenridge"
STORY_SUPERVISOR = "supervisor.brackenridge"
STORY_OFFICER = "officer.aldermoor"
STORY_SUSPECT = "Marius DRAGOMIR"
STORY_SUSPECT_DOB = "1986-04-17"
STORY_ADDRESS = "Flat 2, 118 Station Road, Brackenridge BK2 4TN"
STORY_REPORT_TEXT = (
    "Source reports that Marius DRAGOMIR (DOB 17/04/1986), a Romanian national, controls at least four women "
    f"who are made to sell sex from {STORY_ADDRESS}, a flat above a takeaway. Bookings are taken on the mobile "
    f"{STORY_PHONE}, which DRAGOMIR carries at all times. The women are moved between Brackenridge and Aldermoor "
    "every few weeks, and DRAGOMIR is believed to be looking for a second flat in Aldermoor."
)
STORY_REVIEW_REASON = "Grading confirmed. Restricted to protect the source: partners see a flag and may ask for access."

STORY_TEXT = f"""\
The demo story: a flag across forces.

Brackenridge Constabulary already holds a RESTRICTED intelligence report, reviewed by its
supervisor, about {STORY_SUSPECT} and the mobile {STORY_PHONE}. Aldermoor Police cannot read it.

1. Load the demo (`cairn demo`) and sign in as `{STORY_OFFICER}` with the demo password and the
   code from `cairn demo code`.
2. Submit a new intelligence report, for example: "A man driving a grey Ford Transit drops women
   at a flat on Mill Lane, Aldermoor, most evenings. He uses the phone {STORY_PHONE_AS_ALDERMOOR_WRITES_IT}."
   Keep the phone as a subject: it is written differently from Brackenridge's, but Cairn normalises
   both to {STORY_PHONE_E164}.
3. Cairn shows a flag on the phone: Brackenridge Constabulary holds restricted intelligence on it,
   with its date, its category (sexual exploitation) and whom to contact. The report itself stays
   hidden.
4. Ask for access from the flag, giving a reason. Sign in as `{STORY_SUPERVISOR}`, find the
   request and grant it; back as `{STORY_OFFICER}`, the Brackenridge report now opens in full.
   Every step is in the audit log.
"""


def story_report() -> DemoReport:
    """The Brackenridge report, as the loader submits it."""
    data = ReportInput(
        text=STORY_REPORT_TEXT,
        source_evaluation="2",
        intelligence_assessment="B",
        handling_code="C",
        handling_conditions=["A1", "S2"],
        classification="OFFICIAL-SENSITIVE",
        exploitation_types=["sexual"],
        dissemination="restricted",
        occurred_on=date(2025, 11, 18),
        subjects=[
            SubjectInput(
                kind="person", value=STORY_SUSPECT, role="suspect", date_of_birth=STORY_SUSPECT_DOB, nationality="RO"
            ),
            SubjectInput(kind="phone", value=STORY_PHONE, role="user", linked_to=0, relation="uses"),
            SubjectInput(kind="address", value=STORY_ADDRESS, role="location", linked_to=0, relation="works_at"),
        ],
    )
    return DemoReport(
        author=STORY_AUTHOR,
        data=data,
        organisation=STORY_HOLDER,
        review_by=STORY_SUPERVISOR,
        story="story",
        person_keys=[None, None, None],
        selector_keys=[None, None, None],
        review_reason=STORY_REVIEW_REASON,
        true_grade="2BC",
    )


def add_story(users: dict[str, User]) -> IntelligenceReport | None:
    """Submit the story report as Brackenridge's analyst and have its supervisor review it (still restricted).

    A custom world without Brackenridge's analyst and supervisor has no story: None.
    """
    from cairn.intelligence.services import report_review, report_submit

    story = story_report()
    if story.author not in users or STORY_SUPERVISOR not in users:
        return None
    report = report_submit(actor=users[story.author], data=story.data)
    return report_review(actor=users[STORY_SUPERVISOR], report=report, changes={}, reason=story.review_reason)


# --- the second story: one man, three spellings, three forces; and a phone two forces share ------

LINK_PHONE = "020 7946 0372"  # Ofcom's drama range for London: the world's generator never uses it
LINK_PHONE_E164 = "+442079460372"
LINK_ANALYST = "analyst.dunmere"  # reads all three records (Dunmere's own is restricted)
LINK_VIEWER = "analyst.aldermoor"  # reads two, and sees a flag for Dunmere's
# (author, organisation, name as that force wrote it, date of birth, dissemination, text)
LINK_RECORDS = (
    (
        "officer.aldermoor",
        "aldermoor",
        "Nguyen Van Minh",
        "1994-03-07",
        "shared",
        "Nguyen Van Minh (DOB 07/03/1994) collects the takings from three nail bars in Aldermoor each Sunday "
        "and drives a silver Toyota Avensis.",
    ),
    (
        "officer.calderfell",
        "calderfell",
        "Nguyễn Văn Minh",
        "1994",
        "shared",
        f"Nguyễn Văn Minh, born 1994, is named by two workers at a Calderfell nail bar as the man who holds their "
        f"passports. He is contacted on {LINK_PHONE}.",
    ),
    (
        "officer.dunmere",
        "dunmere",
        "Minh NGUYEN",
        "1994-07-03",
        "restricted",
        f"Source states that Minh NGUYEN (DOB 1994-07-03 as recorded at his arrest in 2023) arranges transport for "
        f"young Vietnamese men to cannabis farms in Dunmere. The source was given the number {LINK_PHONE}.",
    ),
)

LINK_STORY_TEXT = f"""\
The demo story: one man, three spellings, three forces.

Aldermoor, Calderfell and Dunmere each hold a report on the same man, written "Nguyen Van Minh",
"Nguyễn Văn Minh" and "Minh NGUYEN", with his date of birth complete, as a year, and with day and
month swapped. Dunmere's report is RESTRICTED. Calderfell's and Dunmere's reports share the phone
{LINK_PHONE}.

1. As `officer.calderfell` or `officer.dunmere`, open Notifications: a hit says your intelligence on
   {LINK_PHONE_E164} meets intelligence held by the other force (Calderfell sees Dunmere's as a flag).
2. As `{LINK_ANALYST}`, open Match review: Cairn proposes the three records as one person, with
   the model's reasons field by field. Judge them the same, with a reason: Aldermoor's and
   Calderfell's records with each other, and one of them with Dunmere's (records joined only
   through Dunmere's restricted one are not one person to Aldermoor).
3. As `{LINK_VIEWER}`, open the person: two records and a flag for Dunmere's; nothing of its text.
4. As `{LINK_ANALYST}`, split the person: the three records stand alone again, exactly as before.
"""


def add_linking_story(users: dict[str, User]) -> list[IntelligenceReport]:
    """Submit the three reports (Dunmere's reviewed, still restricted); matching runs after commit."""
    from cairn.intelligence.services import report_review, report_submit

    made: list[IntelligenceReport] = []
    for author, org, name, dob, level, text in LINK_RECORDS:
        if author not in users:
            return made
        subjects = [SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob, nationality="VN")]
        if LINK_PHONE.replace(" ", "") in text.replace(" ", ""):
            subjects.append(SubjectInput(kind="phone", value=LINK_PHONE, role="user", linked_to=0, relation="uses"))
        data = ReportInput(
            text=text,
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            classification="OFFICIAL-SENSITIVE",
            exploitation_types=["labour" if org != "aldermoor" else "criminal"],
            dissemination=level,
            occurred_on=date(2025, 10, 2),
            subjects=subjects,
        )
        report = report_submit(actor=users[author], data=data)
        supervisor = f"supervisor.{org}"
        if level == "restricted" and supervisor in users:
            report = report_review(actor=users[supervisor], report=report, changes={}, reason="Restricted: source.")
        made.append(report)
    return made
