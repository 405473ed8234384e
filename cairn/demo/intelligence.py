"""Intelligence reports about the demo world, as untidy as the real thing.

``world_reports(world)`` is pure: for a seed it always writes the same few thousand reports, from
the law-enforcement organisations' officers, analysts and supervisors, about the hidden people and
groups of ``cairn.demo.world``. Nothing in a report says who anyone really is: the hidden key of
each person and selector travels beside the report (``DemoReport.person_keys`` and
``selector_keys``), so entity resolution and correlation can be scored against the truth later.

The noise is the kind analysts meet every day:

- names: spelling variants and typos, diacritics dropped, family name first or in capitals, middle
  names missing, initials, nicknames, other transliterations of Cyrillic and Chinese names, and now
  and then the name in its own script;
- dates of birth: full, year only, month only, missing, day and month swapped, a year out;
- nationality: often missing, occasionally wrong (a Moldovan recorded for a Romanian);
- selectors written as people write them: "07700 900123", "+44 7700 900123", "0044-7700-900123",
  "(07700) 900 123", "7700900123"; plates with and without the space; sort codes with and without
  labels; IBANs printed or compact; adverts with tracking parameters; addresses abbreviated, without
  a postcode, or behind a trading name;
- grading: about one report in twenty carries the wrong grade, and supervisors correct some of them.

``load_reports`` writes them through the intelligence services; the demo loader calls it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from anyascii import anyascii

from cairn.accounts.choices import LAW_ENFORCEMENT_KINDS, SharingGroupKind
from cairn.demo.world import (
    FORCE_AREAS,
    STREET_STEMS,
    STREET_TYPES,
    HiddenPerson,
    HiddenPremises,
    HiddenSelector,
    World,
)
from cairn.intelligence.inputs import ReportInput, SubjectInput

if TYPE_CHECKING:
    from cairn.accounts.models import User

DEFAULT_REPORTS = 3000
REFERENCE_DATE = date(2026, 1, 1)  # the world's "today": reports happen in the three years before it
SUBMIT_BATCH = 500
LEVEL_WEIGHTS = (("shared", 55), ("restricted", 30), ("confidential", 15))
AUTHOR_ROLES = ("officer", "analyst", "supervisor", "sio")
ROLE_WEIGHTS = {"officer": 55, "analyst": 30, "supervisor": 8, "sio": 7}
SUSPECT_ROLES = ("controller", "recruiter", "driver", "enforcer", "finance")


@dataclass
class DemoReport:
    """One report to submit as ``author``, with its hidden truth alongside."""

    author: str  # username
    data: ReportInput
    organisation: str = ""  # the author's organisation code
    review_by: str | None = None  # the supervisor who reviews it in the demo; None leaves it waiting
    story: str = ""  # the scenario that wrote it
    person_keys: list[str | None] = field(default_factory=list)  # aligned with data.subjects
    selector_keys: list[str | None] = field(default_factory=list)  # hidden selector / premises keys
    sharing_groups: list[str] = field(default_factory=list)  # names; the loader turns them into ids
    review_changes: dict[str, Any] = field(default_factory=dict)
    review_reason: str = ""
    group: str | None = None  # the hidden group the report is about
    true_grade: str = ""  # the grade it should carry, e.g. "2BC"; differs from data when misgraded

    @property
    def needs_review(self) -> bool:
        d = self.data
        return d.source_evaluation == "3" or d.intelligence_assessment == "E" or d.handling_code == "C"


# --- how people write names ------------------------------------------------------------------------

ADJECTIVES = {
    "VN": "Vietnamese",
    "RO": "Romanian",
    "AL": "Albanian",
    "GB": "British",
    "PL": "Polish",
    "CN": "Chinese",
    "NG": "Nigerian",
    "SK": "Slovak",
    "CZ": "Czech",
    "HU": "Hungarian",
    "BG": "Bulgarian",
    "LT": "Lithuanian",
    "UA": "Ukrainian",
    "IN": "Indian",
    "EG": "Egyptian",
    "MD": "Moldovan",
    "GR": "Greek",
    "RU": "Russian",
    "GH": "Ghanaian",
    "MK": "North Macedonian",
}
# The nationality a hurried record gives instead of the true one.
CONFUSED_NATIONALITY = {
    "RO": "MD",
    "AL": "GR",
    "UA": "RU",
    "SK": "CZ",
    "CZ": "SK",
    "BG": "MK",
    "NG": "GH",
    "VN": "CN",
    "CN": "VN",
}
FAMILY_FIRST = {"VN", "CN", "HU"}  # where the family name comes first at home
HOME_TOWNS = {
    "VN": ("Nghe An", "Ha Tinh", "Quang Binh", "Hai Phong"),
    "RO": ("Bacau", "Craiova", "Constanta", "Iasi"),
    "AL": ("Tirana", "Elbasan", "Shkoder", "Durres"),
    "PL": ("Lodz", "Bialystok", "Lublin"),
    "CN": ("Fuzhou", "Wenzhou", "Shenyang"),
    "NG": ("Benin City", "Lagos", "Ibadan"),
    "SK": ("Kosice", "Presov"),
    "CZ": ("Ostrava", "Most"),
    "HU": ("Miskolc", "Debrecen"),
    "BG": ("Sliven", "Pleven", "Varna"),
    "LT": ("Kaunas", "Siauliai"),
    "UA": ("Lviv", "Kharkiv"),
    "IN": ("Ludhiana", "Amritsar"),
    "EG": ("Alexandria", "Cairo"),
    "GB": ("Liverpool", "Glasgow"),
}

_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "a",
    "ь": "",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ы": "y",
    "э": "e",
    "ё": "yo",
}
# Other ways the same Cyrillic letters reach the Latin alphabet: a Ukrainian passport, German and
# French habits, and the Slavic Latin alphabets.
_CYRILLIC_SCHEMES = (
    {"г": "h", "и": "y", "й": "i", "ю": "iu", "я": "ia", "є": "ie", "ї": "i", "щ": "shch"},
    {
        "ж": "sh",
        "з": "s",
        "в": "w",
        "х": "ch",
        "ц": "z",
        "ч": "tsch",
        "ш": "sch",
        "щ": "scht",
        "й": "j",
        "ю": "ju",
        "я": "ja",
        "є": "je",
    },
    {"ж": "j", "ч": "tch", "ш": "ch", "у": "ou", "ю": "iou", "я": "ia", "й": "i", "щ": "chtch"},
    {"х": "h", "ц": "c", "ж": "ž", "ч": "č", "ш": "š", "щ": "št", "й": "j", "ю": "ju", "я": "ja", "ъ": "ă"},
)
_WADE_GILES = (("zh", "ch"), ("x", "hs"), ("q", "ch'"), ("j", "ch"), ("z", "ts"), ("c", "ts'"), ("r", "j"))
_CANTONESE = {
    "Chen": "Chan",
    "Wang": "Wong",
    "Li": "Lee",
    "Zhang": "Cheung",
    "Liu": "Lau",
    "Huang": "Wong",
    "Zhou": "Chow",
    "Wu": "Ng",
    "He": "Ho",
    "Lin": "Lam",
    "Yang": "Yeung",
    "Zhao": "Chiu",
    "Xu": "Tsui",
}
_PHONETIC = (
    ("ph", "f"),
    ("sz", "sh"),
    ("ei", "ie"),
    ("ie", "ei"),
    ("y", "i"),
    ("i", "y"),
    ("c", "k"),
    ("k", "c"),
    ("w", "v"),
    ("v", "w"),
    ("s", "z"),
    ("a", "e"),
    ("o", "u"),
    ("u", "o"),
    ("j", "y"),
)


@dataclass(frozen=True)
class Written:
    value: str  # the subject's value
    mention: str  # how the text names them the first time
    short: str  # how the text names them again


def _choose(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def typo(word: str, rng: random.Random) -> str:
    """One slip of the pen: letters swapped, dropped, doubled, or a sound-alike spelling."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    op = rng.choice(("swap", "drop", "double", "sound", "sound"))
    if op == "sound":
        lower = word.lower()
        for a, b in rng.sample(_PHONETIC, len(_PHONETIC)):
            at = lower.find(a, 1)
            if at > 0:
                return word[:at] + b + word[at + len(a) :]
        op = "swap"
    if op == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def cyrillic_variant(native: str, rng: random.Random) -> str:
    scheme = rng.choice(_CYRILLIC_SCHEMES)
    out = []
    for ch in native:
        lower = ch.lower()
        if lower in _CYRILLIC:
            latin = scheme.get(lower, _CYRILLIC[lower])
            out.append(latin.capitalize() if ch != lower else latin)
        else:
            out.append(ch)
    return "".join(out)


def chinese_variant(p: HiddenPerson, rng: random.Random) -> tuple[list[str], str]:
    """(given names, family name) in another romanisation of the person's Chinese name."""
    syllables = [anyascii(c).strip() for c in p.native_script if anyascii(c).strip()]
    k = 1
    while k < len(syllables) and "".join(syllables[:k]).lower() != p.family_name.lower():
        k += 1
    family_s, given_s = syllables[:k] or syllables[:1], syllables[k:] or [p.given_names[0]]
    family = "".join(family_s).title()
    style = rng.choice(("spaced", "hyphen", "wade", "canto", "joined"))
    if style == "spaced":
        return [" ".join(s.title() for s in given_s)], family
    if style == "hyphen":
        return ["-".join([given_s[0].title(), *(s.lower() for s in given_s[1:])])], family
    if style == "wade":

        def wade(s: str) -> str:
            s = s.lower().replace("ong", "ung").replace("ian", "ien")
            for a, b in _WADE_GILES:
                if s.startswith(a):
                    return b + s[len(a) :]
            return s

        return ["-".join(wade(s) for s in given_s).capitalize()], wade(family.lower()).capitalize()
    if style == "canto":
        return ["".join(given_s).title()], _CANTONESE.get(family, family)
    return ["".join(given_s).title()], family


def written_name(p: HiddenPerson, rng: random.Random, *, nickname: str = "", careless: float = 0.0) -> Written:
    """A person's name as one report writes it."""
    if p.native_script and rng.random() < 0.05:
        return Written(p.native_script, p.native_script, p.native_script)
    if nickname and rng.random() < 0.05 + careless / 2:
        return Written(nickname, f'a {"woman" if p.sex == "F" else "man"} known only as "{nickname}"', f'"{nickname}"')
    given = list(p.given_names)
    family = p.family_name
    if p.nationality == "CN" and p.native_script and rng.random() < 0.5:
        given, family = chinese_variant(p, rng)
    elif p.native_script and p.nationality in {"BG", "UA"} and rng.random() < 0.4:
        parts = cyrillic_variant(p.native_script, rng).split()
        given, family = parts[:-1] or given, parts[-1]
    if rng.random() < 0.12 + careless:
        if rng.random() < 0.7:
            family = typo(family, rng)
        else:
            given[0] = typo(given[0], rng)
    if rng.random() < 0.45 + careless:
        given, family = [anyascii(g) for g in given], anyascii(family)
    if len(given) > 1 and rng.random() < 0.5:
        given = given[:1]
    first = " ".join(given)
    native_order = 25 if p.nationality in FAMILY_FIRST else 4
    form = _choose(
        rng,
        (
            ("plain", 35),
            ("caps", 25),
            ("comma", 10),
            ("family_first", native_order),
            ("caps_first", 8),
            ("initial", 5),
            ("lower", 2),
        ),
    )
    short = family.upper() if form in {"caps", "comma", "caps_first"} else family
    if form == "plain":
        value = f"{first} {family}"
    elif form == "caps":
        value = f"{first} {family.upper()}"
    elif form == "comma":
        value = f"{family.upper()}, {first}"
    elif form == "family_first":
        value = f"{family} {first}"
    elif form == "caps_first":
        value = f"{family.upper()} {first}"
    elif form == "initial":
        value = f"{given[0][0]}. {family}" if rng.random() < 0.5 else f"{given[0][0]} {family.upper()}"
    else:
        value = f"{first} {family}".lower()
    if nickname and rng.random() < 0.08:
        value = f'{value} (aka "{nickname}")'
    return Written(value, value, short)


def written_dob(dob: date, rng: random.Random) -> str:
    """A date of birth as a report records it: often partial, sometimes missing, now and then wrong."""
    r = rng.random()
    if r < 0.25:
        return ""
    if r < 0.40:
        return f"{dob.year}"
    if r < 0.48:
        return f"{dob.year}-{dob.month:02d}"
    if r < 0.53 and dob.day <= 12 and dob.day != dob.month:  # read the American way round
        return f"{dob.year}-{dob.day:02d}-{dob.month:02d}"
    if r < 0.56:
        year = dob.year + rng.choice((-1, 1))
        day = min(dob.day, 28)
        return f"{year}-{dob.month:02d}-{day:02d}"
    return dob.isoformat()


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def dob_phrase(iso: str, rng: random.Random) -> str:
    if not iso:
        return ""
    parts = [int(x) for x in iso.split("-")]
    if len(parts) == 1:
        return rng.choice((f" (born {parts[0]})", f" (b. {parts[0]})", f" (born {parts[0]}?)"))
    if len(parts) == 2:
        return rng.choice((f" (born {MONTHS[parts[1] - 1]} {parts[0]})", f" (born {parts[1]:02d}/{parts[0]})"))
    y, m, d = parts
    return rng.choice(
        (
            f" (DOB {d:02d}/{m:02d}/{y})",
            f" ({d:02d}/{m:02d}/{y})",
            f" (born {d:02d}.{m:02d}.{y})",
            f" (DOB {d} {MONTHS[m - 1]} {y})",
        )
    )


def written_nationality(iso: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return ""
    if r < 0.33 and iso in CONFUSED_NATIONALITY:
        return CONFUSED_NATIONALITY[iso]
    return iso


# --- how people write selectors --------------------------------------------------------------------


def written_phone(value: str, rng: random.Random) -> str:
    """'07700 900123' five ways and more; foreign numbers always with their country code."""
    compact = value.replace(" ", "")
    if compact.startswith("0"):
        nsn = compact[1:]
        a, b = nsn[:4], nsn[4:]
        return _choose(
            rng,
            (
                (f"0{a} {b}", 40),
                (f"+44 {a} {b}", 15),
                (f"0044-{a}-{b}", 8),
                (f"(0{a}) {b[:3]} {b[3:]}", 8),
                (nsn, 6),
                (f"0{nsn}", 12),
                (f"+44{nsn}", 8),
                (f"0{a}-{b[:3]}-{b[3:]}", 3),
            ),
        )
    return _choose(rng, ((value, 45), (compact, 25), ("00" + compact[1:], 15), (value.replace(" ", "-"), 10)))


def written_vrm(value: str, rng: random.Random) -> str:
    return _choose(rng, ((value, 60), (value.replace(" ", ""), 25), (value.lower(), 10), (value.replace(" ", "  "), 5)))


def written_bank_account(value: str, rng: random.Random) -> str:
    sort, account = value.split()
    return _choose(
        rng,
        (
            (value, 40),
            (f"sort code {sort} account {account}", 20),
            (f"sort code {sort.replace('-', '')} account number {account}", 10),
            (f"a/c {account} sort code {sort}", 15),
            (f"{sort.replace('-', ' ')} {account}", 5),
            (f"{sort.replace('-', '')} {account}", 10),
        ),
    )


def written_iban(value: str, rng: random.Random) -> str:
    compact = value.replace(" ", "")
    return _choose(rng, ((value, 60), (compact, 30), (value.lower(), 10)))


def written_url(value: str, rng: random.Random) -> str:
    bare = value.removeprefix("https://")
    return _choose(
        rng,
        (
            (value, 50),
            (bare, 15),
            ("www." + bare, 10),
            ("http://" + bare, 10),
            (value + "?utm_source=share&utm_medium=social", 10),
            (value + "/", 5),
        ),
    )


def written_email(value: str, rng: random.Random) -> str:
    local, domain = value.split("@")
    return _choose(rng, ((value, 80), (".".join(p.title() for p in local.split(".")) + "@" + domain, 20)))


def written_document(value: str, rng: random.Random) -> str:
    return _choose(rng, ((value, 70), (f"{value[:2]} {value[2:]}", 20), (value.lower(), 10)))


WRITERS: dict[str, Callable[[str, random.Random], str]] = {
    "phone": written_phone,
    "vrm": written_vrm,
    "bank_account": written_bank_account,
    "iban": written_iban,
    "url": written_url,
    "email": written_email,
    "document": written_document,
}
_ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Lane": "Ln",
    "Avenue": "Ave",
    "Close": "Cl",
    "Drive": "Dr",
    "Terrace": "Terr",
    "Crescent": "Cres",
    "Gardens": "Gdns",
    "Place": "Pl",
    "Grove": "Gr",
    "Parade": "Pde",
}


def written_address(p: HiddenPremises, rng: random.Random) -> str:
    number = p.number
    if number.startswith("Flat") and rng.random() < 0.2:
        number = number.replace("Flat", "Apartment")
    street = p.street
    stem, kind = street.rsplit(" ", 1)
    full = f"{number} {street}, {p.town} {p.postcode}"
    return _choose(
        rng,
        (
            (full, 45),
            (f"{number} {stem} {_ABBREVIATIONS.get(kind, kind)}, {p.town} {p.postcode}", 15),
            (f"{number} {street}, {p.town}, {p.postcode.replace(' ', '')}", 10),
            (f"{p.name}, {full}" if p.name else full, 15),
            (f"{number} {street}, {p.town}", 10),
            (full.upper(), 5),
        ),
    )


# --- one report being written ----------------------------------------------------------------------

PREMISES_WORDS = {
    "residence": "a residential address",
    "massage_parlour": "a massage parlour",
    "sauna": "a sauna",
    "nail_bar": "a nail bar",
    "car_wash": "a hand car wash",
    "hotel": "a hotel",
    "farm": "a farm",
    "factory": "a packing factory",
    "restaurant": "a takeaway",
    "cannabis_farm": "a house",
}
ROLE_WORDS = {
    "controller": "runs the operation and takes the money",
    "recruiter": "recruits the workers abroad",
    "driver": "drives the workers between addresses",
    "enforcer": "is used to threaten the workers",
    "finance": "handles the money and the bank accounts",
    "associate": "is a close associate",
}


class _Draft:
    """Subjects collected while a report's text is written, with their hidden keys."""

    def __init__(self, gen: _Generator, rng: random.Random) -> None:
        self.gen = gen
        self.rng = rng
        self.subjects: list[SubjectInput] = []
        self.person_keys: list[str | None] = []
        self.selector_keys: list[str | None] = []
        self.index: dict[str, int] = {}
        self.mentions: dict[str, str] = {}
        self.short: dict[str, str] = {}
        self.links: list[tuple[int, str, str]] = []  # (subject index, key of the other end, relation)

    def _add(self, subject: SubjectInput, key: str | None, *, person: bool, link: str | None, relation: str) -> None:
        index = len(self.subjects)
        self.subjects.append(subject)
        self.person_keys.append(key if person else None)
        self.selector_keys.append(None if person else key)
        if key is not None:
            self.index[key] = index
        if link is not None and relation:
            self.links.append((index, link, relation))

    def person(
        self,
        p: HiddenPerson,
        role: str = "",
        *,
        link: str | None = None,
        relation: str = "",
        careless: float = 0.0,
        dob: bool = True,
    ) -> str:
        """Name the person (the first time in full, then by family name) and return the words used."""
        if p.key in self.index:
            return self.short[p.key]
        role = role or self.gen.subject_role(p, self.rng)
        w = written_name(p, self.rng, nickname=self.gen.world.nicknames.get(p.key, ""), careless=careless)
        born = written_dob(p.date_of_birth, self.rng) if dob and w.value != p.native_script else ""
        subject = SubjectInput(
            kind="person",
            value=w.value,
            role=role,
            date_of_birth=born,
            nationality=written_nationality(p.nationality, self.rng),
        )
        self._add(subject, p.key, person=True, link=link, relation=relation)
        mention = w.mention + (dob_phrase(born, self.rng) if born and w.mention == w.value else "")
        self.mentions[p.key] = mention
        self.short[p.key] = w.short
        return mention

    def selector(self, s: HiddenSelector, *, role: str = "", link: str | None = None, relation: str = "") -> str:
        if s.key in self.index:
            return self.mentions[s.key]
        written = WRITERS[s.kind](s.value, self.rng)
        default_role = "owner" if s.kind in {"vrm", "bank_account", "iban", "document"} else "user"
        subject = SubjectInput(kind=s.kind, value=written, role=role or default_role)
        self._add(
            subject,
            s.key,
            person=False,
            link=link if link is not None else s.holder,
            relation=relation or ("owns" if default_role == "owner" else "uses"),
        )
        self.mentions[s.key] = written
        return written

    def premises(self, p: HiddenPremises, *, link: str | None = None, relation: str = "") -> str:
        if p.key in self.index:
            return self.mentions[p.key]
        written = written_address(p, self.rng)
        self._add(
            SubjectInput(kind="address", value=written, role="location", premises_type=p.kind),
            p.key,
            person=False,
            link=link,
            relation=relation,
        )
        self.mentions[p.key] = written
        return written

    def loose_selector(self, kind: str, value: str, *, role: str, link: str | None, relation: str) -> str:
        written = WRITERS[kind](value, self.rng) if kind in WRITERS else value
        self._add(SubjectInput(kind=kind, value=written, role=role), None, person=False, link=link, relation=relation)
        return written

    def finish(self) -> list[SubjectInput]:
        for index, key, relation in self.links:
            other = self.index.get(key)
            if other is not None and other != index:
                self.subjects[index].linked_to = other
                self.subjects[index].relation = relation
        return self.subjects


# --- the cast of one group, as a scenario sees it ----------------------------------------------------


class _Cast:
    def __init__(self, gen: _Generator, group_key: str, rng: random.Random) -> None:
        self.gen = gen
        self.rng = rng
        self.group = gen.groups[group_key]
        self.members = [gen.people[k] for k in self.group.members]
        self.premises = gen.premises_by_group.get(group_key, [])
        self.selectors = gen.selectors_by_group.get(group_key, [])

    def one(self, *roles: str, exclude: Sequence[HiddenPerson] = ()) -> HiddenPerson:
        pool = [m for m in self.members if m.group_role in roles and m not in exclude]
        if not pool:
            pool = [m for m in self.members if m.group_role != "victim" and m not in exclude] or self.members
        # The core of a group is named far more often than its fringe.
        return self.rng.choice(pool)

    def suspect(self, exclude: Sequence[HiddenPerson] = ()) -> HiddenPerson:
        role = _choose(
            self.rng,
            (
                ("controller", 30),
                ("recruiter", 15),
                ("driver", 15),
                ("enforcer", 12),
                ("finance", 8),
                ("associate", 20),
            ),
        )
        return self.one(role, exclude=exclude)

    def victims(self, k: int) -> list[HiddenPerson]:
        pool = [m for m in self.members if m.group_role == "victim"]
        return self.rng.sample(pool, min(k, len(pool)))

    def victim(self) -> HiddenPerson | None:
        found = self.victims(1)
        return found[0] if found else None

    def sel(self, kind: str | tuple[str, ...], holder: HiddenPerson | None = None) -> HiddenSelector | None:
        kinds = (kind,) if isinstance(kind, str) else kind
        pool = [s for s in self.selectors if s.kind in kinds]
        if holder is not None:
            own = [s for s in pool if s.holder == holder.key]
            # Now and then a number or a car is put down to the wrong member of the group.
            if own and self.rng.random() < 0.9:
                return self.rng.choice(own)
            if not own and kinds == ("phone",):
                return None
        return self.rng.choice(pool) if pool else None

    def place(self, *kinds: str) -> HiddenPremises | None:
        pool = [p for p in self.premises if not kinds or p.kind in kinds]
        pool = pool or self.premises
        return self.rng.choice(pool) if pool else None

    def holder(self, s: HiddenSelector) -> HiddenPerson:
        return self.gen.people[s.holder]


def he(p: HiddenPerson) -> str:
    return "she" if p.sex == "F" else "he"


def his(p: HiddenPerson) -> str:
    return "her" if p.sex == "F" else "his"


def him(p: HiddenPerson) -> str:
    return "her" if p.sex == "F" else "him"


def adj(p: HiddenPerson) -> str:
    return ADJECTIVES.get(p.nationality, "foreign")


def day(d: date, rng: random.Random) -> str:
    return rng.choice((f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {MONTHS[d.month - 1]} {d.year}"))


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def lead(mention: str) -> str:
    """A name at the start of a sentence: 'a man known only as ...' gets its capital, a name keeps its case."""
    return cap(mention) if mention.startswith("a ") else mention


def age_on(p: HiddenPerson, when: date) -> int:
    return when.year - p.date_of_birth.year - ((when.month, when.day) < (p.date_of_birth.month, p.date_of_birth.day))


# --- scenarios: each writes the text and the subjects of one report, and says what kind of source it is.

Scenario = Callable[[_Draft, _Cast, date, random.Random], tuple[str, str]]


def _premises_visit(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    place = c.place(
        "massage_parlour", "sauna", "nail_bar", "car_wash", "farm", "factory", "restaurant", "hotel", "residence"
    )
    victims = c.victims(rng.randint(1, 2))
    s = c.one("controller", "enforcer", "driver", "associate")
    out: list[str] = []
    where = PREMISES_WORDS.get(place.kind, "premises") if place else "premises"
    reason = rng.choice(
        (
            "a welfare concern raised by a neighbour",
            "a joint licensing visit with the council",
            "information from a partner agency",
            "a report of a disturbance",
            "a visit with the labour abuse authority",
        )
    )
    if place:
        named = f" ({place.name})" if place.name and rng.random() < 0.6 else ""
        addr = d.premises(
            place, link=victims[0].key if victims else s.key, relation="exploited_at" if victims else "works_at"
        )
        out.append(f"On {day(when, rng)} officers attended {where}{named} at {addr} following {reason}.")
    else:
        out.append(f"On {day(when, rng)} officers attended premises following {reason}.")
    if victims:
        v = victims[0]
        n = rng.randint(len(victims), len(victims) + 4)
        out.append(f"{n} {'women' if v.sex == 'F' else 'workers'} were present, believed to be {adj(v)} nationals.")
        quote = {
            "sexual": f"{he(v)} was paying off a debt to the man who brought {him(v)} to the UK",
            "labour": f"{he(v)} works from 8am to 9pm six days a week for £{rng.choice((50, 80, 100))} a week in cash",
            "criminal": f"{he(v)} could not leave because {he(v)} owed money for {his(v)} journey",
            "domestic_servitude": f"{he(v)} had not been out of the house alone since {he(v)} arrived",
        }[c.group.exploitation]
        state = rng.choice(("nervous", "withdrawn", "tired and underweight", "frightened", "evasive"))
        out.append(
            f"One gave {his(v)} name as {d.person(v, 'victim', link=s.key, relation='controls')}; "
            f"{he(v)} appeared {state} and said {quote}."
        )
        if len(victims) > 1:
            out.append(f"A second worker, {d.person(victims[1], 'victim')}, would not speak to officers.")
    car = c.sel("vrm", s) if rng.random() < 0.5 else None
    arrival = f" in a {car.detail} {d.selector(car, link=s.key)}" if car else ""
    out.append(
        f"A {'woman' if s.sex == 'F' else 'man'} who gave {his(s)} name as {d.person(s, 'suspect')} "
        f"arrived{arrival} and answered questions on their behalf, stating {he(s)} was "
        f"{rng.choice(('the manager', 'a friend', 'the landlord', 'a cousin of the owner'))}."
    )
    phone = c.sel("phone", s)
    if phone and rng.random() < 0.7:
        out.append(f"{cap(he(s))} gave {his(s)} number as {d.selector(phone, link=s.key)}.")
    if place and place.phone and rng.random() < 0.3:
        landline = d.loose_selector("phone", place.phone, role="user", link=place.key, relation="uses")
        out.append(f"The business landline is {landline}.")
    out.append(
        rng.choice(
            (
                "No offences were disclosed at the time.",
                "Safeguarding referrals have been made.",
                "Details passed to the Modern Slavery and Trafficking Unit.",
            )
        )
    )
    return " ".join(out), "officer"


def _vehicle_stop(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    car = c.sel("vrm")
    driver = c.holder(car) if car and rng.random() < 0.8 else c.one("driver", "controller")
    victims = c.victims(rng.randint(1, 3))
    area_town = rng.choice(FORCE_AREAS.get(c.group.home_force, ("", ("Aldermoor",)))[1])
    road = rng.choice(("A61", "A629", "A6120", "B6265", "A658", "M62 eastbound", "M1 northbound"))
    hour = rng.choice(("05:40", "06:15", "06:50", "22:30", "23:45", "01:10"))
    vehicle = (
        f"the {car.detail} {d.selector(car, link=driver.key, relation='uses')}" if car else "a silver people carrier"
    )
    out = [
        f"At {hour} on {day(when, rng)} {vehicle} was stopped on the {road} near {area_town}.",
        f"The driver was {d.person(driver, 'suspect')}.",
    ]
    if victims:
        names = [d.person(v, "victim", link=driver.key, relation="travelled_with") for v in victims]
        out.append(
            f"{len(names)} passenger{'s' if len(names) > 1 else ''}: {', '.join(names)}. "
            f"{rng.choice(('None of them', 'Only one of them'))} spoke English and none carried identity "
            "documents."
        )
    place = c.place("car_wash", "nail_bar", "farm", "factory", "restaurant", "massage_parlour", "cannabis_farm")
    if place:
        addr = d.premises(place, link=driver.key, relation="works_at")
        out.append(f"The driver stated {he(driver)} was taking them to work at {addr}.")
    phone = c.sel("phone", driver)
    if phone and rng.random() < 0.6:
        out.append(f"A phone in the vehicle showed the number {d.selector(phone, link=driver.key)} calling repeatedly.")
    out.append(
        rng.choice(
            (
                "Words of advice given; no further action at the roadside.",
                "The vehicle was seized for no insurance.",
                "Details recorded under stop and account.",
            )
        )
    )
    return " ".join(out), "officer"


def _public_report(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    place = c.place()
    s = c.suspect()
    activity = {
        "sexual": "has a steady stream of men visiting at all hours and the curtains are always closed",
        "labour": "has workers who sleep on site and are collected in a van before 6am",
        "criminal": "has its windows blacked out, a strong smell of cannabis and a young lad who never leaves",
        "domestic_servitude": "has a young woman who does all the cleaning and is never allowed out alone",
    }[c.group.exploitation]
    out = []
    if place:
        addr = d.premises(place, link=s.key, relation="works_at" if place.kind != "residence" else "lives_at")
        out.append(f"A member of the public reports that {addr} {activity}.")
    else:
        out.append(f"A member of the public reports an address that {activity}.")
    out.append(f"The caller believes the person in charge is {d.person(s, 'suspect', careless=0.25, dob=False)}.")
    car = c.sel("vrm", s)
    if car and rng.random() < 0.5:
        out.append(f"{cap(he(s))} drives a {car.detail}, registration {d.selector(car, link=s.key)}.")
    out.append(
        rng.choice(
            (
                "The caller did not want to leave details.",
                "The caller has reported this before.",
                "Caller wishes to remain anonymous.",
            )
        )
    )
    return " ".join(out), "public"


def _victim_disclosure(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    v = c.victim()
    if v is None:
        return _association(d, c, when, rng)
    recruiter = c.one("recruiter")
    controller = c.one("controller", exclude=[recruiter])
    home = rng.choice(HOME_TOWNS.get(v.nationality, ("her home town",)))
    job = {
        "sexual": "work in a restaurant",
        "labour": "well-paid work in a car wash",
        "criminal": "building work",
        "domestic_servitude": "a job as a nanny",
    }[c.group.exploitation]
    out = [
        f"{lead(d.person(v, 'victim', link=controller.key, relation='controls'))}, a {adj(v)} national, "
        f"disclosed to officers that {he(v)} was recruited in {home} by "
        f"{d.person(recruiter, 'suspect', link=controller.key, relation='associate_of')} with the promise of {job}."
    ]
    route = rng.choice(
        (
            "by coach through Germany and France",
            "on a flight to Stansted",
            "in the back of a lorry",
            "by car with two other people",
        )
    )
    place = c.place()
    addr = d.premises(place, link=v.key, relation="exploited_at") if place else "an address she could not name"
    out.append(
        f"{cap(he(v))} travelled to the UK {route} and was taken to {addr}, where "
        f"{d.person(controller, 'suspect')} told {him(v)} "
        f"{he(v)} owed £{rng.choice((3000, 5000, 8000, 12000, 15000)):,} for the journey."
    )
    doc = c.sel("document", v)
    if doc is not None and doc.holder == v.key:
        out.append(
            f"{d.short[controller.key]} kept {his(v)} passport, number {d.selector(doc, link=v.key, relation='owns')}."
        )
    phone = c.sel("phone", controller)
    if phone and rng.random() < 0.7:
        out.append(
            f"{cap(he(v))} was contacted by {d.short[controller.key]} on {d.selector(phone, link=controller.key)}."
        )
    out.append(
        rng.choice(
            (
                "Referred into the NRM.",
                "Consent given to share with partner agencies.",
                "Victim care team informed; safe accommodation arranged.",
            )
        )
    )
    return " ".join(out), "victim"


def _source_report(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    s1 = c.suspect()
    boss = c.one("controller", exclude=[s1])
    activity = {
        "sexual": "moving women between brothels every few weeks",
        "labour": "supplying workers to car washes and taking most of their wages",
        "criminal": "running young people to sell drugs and tend cannabis grows",
        "domestic_servitude": "bringing women from abroad to work in private homes",
    }[c.group.exploitation]
    out = [f"Source reports that {d.person(s1, 'suspect')} is {activity}."]
    phone = c.sel("phone", s1)
    if phone:
        out.append(f"{cap(he(s1))} uses the mobile {d.selector(phone, link=s1.key)}.")
    if boss is not s1:
        out.append(
            f"{d.short[s1.key]} answers to {d.person(boss, 'suspect', link=s1.key, relation='associate_of')},"
            f" who {ROLE_WORDS.get(boss.group_role, 'is in charge')}."
        )
    place = c.place("residence", "massage_parlour", "cannabis_farm", "car_wash", "nail_bar")
    if place and rng.random() < 0.6:
        out.append(f"The workers are kept at {d.premises(place, link=boss.key, relation='controls')}.")
    car = c.sel("vrm")
    if car and rng.random() < 0.4:
        out.append(f"The group uses a {car.detail}, {d.selector(car)}.")
    return " ".join(out), "source"


def _comms_analysis(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    phones = [s for s in c.selectors if s.kind == "phone" and c.holder(s).group_role != "victim"]
    if len(phones) < 2:
        return _association(d, c, when, rng)
    p1, p2 = rng.sample(phones, 2)
    h1, h2 = c.holder(p1), c.holder(p2)
    start = when - timedelta(days=rng.randint(30, 120))
    out = [
        f"Analysis of call data for {d.selector(p1, link=h1.key)}, attributed to {d.person(h1, 'suspect')}, "
        f"shows {rng.randint(12, 240)} contacts with {d.selector(p2, link=h2.key)}"
        + (f" (attributed to {d.person(h2, 'suspect', link=h1.key, relation='associate_of')})" if h2 is not h1 else "")
        + f" between {day(start, rng)} and {day(when, rng)}."
    ]
    foreign = [s for s in c.selectors if s.kind == "phone" and s.value.startswith("+") and s not in (p1, p2)]
    if foreign and rng.random() < 0.6:
        f = rng.choice(foreign)
        out.append(f"The same handset called {d.selector(f)} {rng.randint(3, 40)} times.")
    out.append(
        rng.choice(
            (
                "Call times cluster late at night, consistent with arranging bookings.",
                "Cell site data places both handsets at the same address most mornings.",
                "The handsets were topped up at the same shop on the same days.",
            )
        )
    )
    return " ".join(out), "analysis"


def _financial(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    account = c.sel(("bank_account", "iban"))
    if account is None:
        return _association(d, c, when, rng)
    holder = c.holder(account)
    controller = c.one("finance", "controller", exclude=[holder])
    start = when - timedelta(days=rng.randint(60, 300))
    total = rng.randint(8, 160) * 1000
    out = [
        f"Financial enquiries show that account {d.selector(account, link=holder.key)}, held in the name of "
        f"{d.person(holder)}, received {rng.randint(12, 90)} cash deposits totalling £{total:,} between "
        f"{day(start, rng)} and {day(when, rng)}, each below £{rng.choice((1000, 2000, 5000)):,}."
    ]
    onward = [s for s in c.selectors if s.kind in {"iban", "bank_account"} and s is not account]
    if onward and rng.random() < 0.7:
        other = rng.choice(onward)
        out.append(f"Most of the money was moved the same day to {d.selector(other, link=other.holder)}.")
    if holder.group_role == "victim":
        out.append(
            f"{cap(he(holder))} is believed to be a worker whose wages are paid into the account and taken "
            f"by {d.person(controller, 'suspect', link=holder.key, relation='controls')}."
        )
    else:
        out.append(
            f"The pattern suggests the proceeds of exploitation are being laundered; "
            f"{d.person(controller, 'suspect', link=holder.key, relation='associate_of')} is believed "
            "to direct the payments."
        )
    return " ".join(out), "financial"


def _advert(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    url = c.sel("url")
    if url is None:
        return _source_report(d, c, when, rng)
    owner = c.holder(url)
    phone = c.sel("phone", owner) or c.sel("phone")
    town = c.premises[0].town if c.premises else "the area"
    out = [
        f"The online advert {d.selector(url, link=owner.key)} offers "
        f"{rng.choice(('massage and more', 'companionship', 'new girls every week', 'young Asian ladies'))} "
        f"in {town}" + (f" and gives the contact number {d.selector(phone)}." if phone else ".")
    ]
    out.append(
        f"The same number appears on {rng.randint(2, 30)} other adverts posted in the last {rng.randint(2, 10)} weeks."
    )
    v = c.victim()
    if v is not None and rng.random() < 0.6:
        out.append(f"The photographs appear to show {d.person(v, 'victim', link=owner.key, relation='controls')}.")
    out.append(f"The advert was paid for by card in the name of {d.person(owner, 'suspect')}.")
    return " ".join(out), "analysis"


def _job_advert(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    url = c.sel("url")
    if url is None:
        return _premises_visit(d, c, when, rng)
    recruiter = c.holder(url)
    job = {
        "labour": rng.choice(("car wash staff", "farm workers, no experience needed", "nail technicians")),
        "domestic_servitude": "a live-in nanny and housekeeper",
    }.get(c.group.exploitation, "general work")
    out = [
        f"A job advert at {d.selector(url, link=recruiter.key)} offers {job} with accommodation and cash paid daily."
    ]
    phone = c.sel("phone", recruiter)
    if phone:
        out.append(
            f"Applicants are told to call {d.selector(phone, link=recruiter.key)} and ask for "
            f"{d.person(recruiter, 'suspect')}."
        )
    else:
        out.append(f"The advert was placed by {d.person(recruiter, 'suspect')}.")
    place = c.place()
    if place and rng.random() < 0.6:
        v = c.victim()
        link = v.key if v else recruiter.key
        if v is not None:
            d.person(v, "victim", link=recruiter.key, relation="controls")
        out.append(
            f"Workers recovered from {d.premises(place, link=link, relation='exploited_at')} said they "
            "answered this advert."
        )
    return " ".join(out), "analysis"


def _cannabis_farm(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    place = c.place("cannabis_farm", "residence")
    v = c.victim()
    s = c.one("controller", "driver", "enforcer")
    addr = (
        d.premises(place, link=v.key if v else s.key, relation="exploited_at" if v else "controls")
        if place
        else "an address in the area"
    )
    out = [
        f"Officers executing a warrant at {addr} found about {rng.randint(80, 600)} cannabis plants across "
        f"{rng.randint(2, 6)} rooms."
    ]
    if v is not None:
        out.append(
            f"{lead(d.person(v, rng.choice(('victim', 'victim', 'suspect')), link=s.key, relation='controls'))}, "
            f"{adj(v)} and about {age_on(v, when)}, was found inside; the doors were locked from the "
            f"outside. {cap(he(v))} said {d.person(s, 'suspect')} brought {him(v)}"
            f" to the house and that {he(v)} owes £{rng.choice((10000, 18000, 25000)):,}."
        )
    else:
        out.append(f"The house is believed to be run by {d.person(s, 'suspect')}.")
    car = c.sel("vrm", s)
    if car:
        out.append(f"{d.short[s.key]} visits weekly in a {car.detail}, {d.selector(car, link=s.key)}.")
    return " ".join(out), "officer"


def _county_lines(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    phones = [s for s in c.selectors if s.kind == "phone" and c.holder(s).group_role != "victim"]
    if not phones:
        return _source_report(d, c, when, rng)
    line = rng.choice(phones)
    s = c.holder(line)
    name = rng.choice(("Bando", "Ricky", "Tiny", "Smokes", "KJ", "Blue", "Deano"))
    out = [
        f"The deal line {d.selector(line, link=s.key)}, known as the '{name}' line, is believed to be "
        f"controlled by {d.person(s, 'suspect')}."
    ]
    v = c.victim()
    if v is not None:
        town = rng.choice(FORCE_AREAS.get(c.group.home_force, ("", ("Aldermoor",)))[1])
        out.append(
            f"{lead(d.person(v, 'victim', link=s.key, relation='controls'))}, aged {age_on(v, when)}, was found "
            f"in {town} with the handset and £{rng.randint(2, 40) * 50} in cash."
        )
        place = c.place("residence", "cannabis_farm")
        if place:
            out.append(
                f"Intelligence suggests {he(v)} is made to deal from "
                f"{d.premises(place, link=v.key, relation='exploited_at')}."
            )
    return " ".join(out), "source"


def _domestic(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    v = c.victim()
    s = c.one("controller", "associate")
    place = c.place("residence")
    if v is None or place is None:
        return _source_report(d, c, when, rng)
    out = [
        f"{lead(d.person(v, 'victim', link=s.key, relation='controls'))} is believed to be living at "
        f"{d.premises(place, link=v.key, relation='exploited_at')}, the home of "
        f"{d.person(s, 'suspect')}, and working as a housekeeper and nanny for no pay.",
        f"Neighbours report {he(v)} is never seen outside alone.",
    ]
    doc = c.sel("document", v)
    if doc is not None and doc.holder == v.key:
        out.append(f"{d.short[s.key]} is said to hold {his(v)} passport ({d.selector(doc, link=v.key)}).")
    return " ".join(out), rng.choice(("public", "source", "officer"))


def _border(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    s = c.one("recruiter", "controller", "driver")
    victims = c.victims(rng.randint(1, 2))
    port = rng.choice(
        ("Stansted Airport", "Luton Airport", "the port of Dover", "Manchester Airport", "Leeds Bradford Airport")
    )
    city = rng.choice(HOME_TOWNS.get(s.nationality, ("Bucharest",)))
    out = [
        f"{lead(d.person(s, 'suspect'))} arrived at {port} on {day(when, rng)} from {city}"
        + (
            ", travelling with "
            + " and ".join(d.person(v, "victim", link=s.key, relation="travelled_with") for v in victims)
            if victims
            else ""
        )
        + "."
    ]
    phone = c.sel("phone", s)
    if victims:
        out.append(
            "Both held return tickets paid for by the same card"
            if len(victims) > 1
            else "The passenger's ticket was paid for by the same card"
        )
        out[-1] += f" and gave the UK contact number {d.selector(phone, link=s.key)}." if phone else "."
        doc = c.sel("document", victims[0])
        if doc is not None and doc.holder == victims[0].key:
            out.append(
                f"Passport {d.selector(doc, link=victims[0].key)} was produced by {d.short[s.key]} "
                "rather than by its holder."
            )
    place = c.place()
    if place and place.name:
        out.append(
            f"They said they were coming to work at {place.name} in {place.town} but could not give the "
            "employer's name."
        )
    out.append(
        rng.choice(
            (
                "All were given entry; details shared for awareness.",
                "Safeguarding advice given; the passengers declined support.",
            )
        )
    )
    return " ".join(out), "partner"


def _transport(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    v = c.victim()
    s = c.one("driver", "recruiter", "enforcer")
    station = rng.choice(("Leeds", "York", "Sheffield", "Doncaster", "Manchester Piccadilly", "Newcastle"))
    out = []
    if v is not None:
        out.append(
            f"Officers at {station} railway station spoke to "
            f"{d.person(v, 'victim', link=s.key, relation='travelled_with')}, who was travelling with "
            f"{d.person(s, 'suspect')}. {cap(he(v))} had a ticket bought by {d.short[s.key]} and appeared "
            f"{rng.choice(('anxious', 'exhausted', 'confused about where she was going'))}."
        )
    else:
        out.append(
            f"Officers at {station} railway station spoke to {d.person(s, 'suspect')}, who was escorting "
            "three young women."
        )
    phone = c.sel("phone", s)
    if phone:
        out.append(f"{d.short[s.key]} gave {his(s)} number as {d.selector(phone, link=s.key)}.")
    place = c.place("residence")
    if place and rng.random() < 0.6:
        out.append(f"{cap(he(s))} gave an address of {d.premises(place, link=s.key, relation='lives_at')}.")
    return " ".join(out), "officer"


def _association(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    s1 = c.suspect()
    s2 = c.suspect(exclude=[s1])
    place = c.place()
    where = (
        f" at {d.premises(place, link=s1.key, relation='works_at' if place.kind != 'residence' else 'lives_at')}"
        if place
        else ""
    )
    out = [
        f"{lead(d.person(s1, 'suspect'))} and {d.person(s2, link=s1.key, relation='associate_of')} were seen together"
        f"{where} on {day(when, rng)}."
    ]
    car = c.sel("vrm", s2)
    if car:
        out.append(f"{d.short[s2.key]} arrived in the {car.detail} {d.selector(car, link=s2.key, relation='uses')}.")
    if rng.random() < 0.4:
        s3 = c.suspect(exclude=[s1, s2])
        if s3 not in (s1, s2):
            out.append(f"{lead(d.person(s3, link=s1.key, relation='associate_of'))} was also present.")
    out.append(f"{d.short[s1.key]} is believed to be the person who {ROLE_WORDS.get(s1.group_role, 'is involved')}.")
    return " ".join(out), "officer"


def _address_attribution(d: _Draft, c: _Cast, when: date, rng: random.Random) -> tuple[str, str]:
    s = c.suspect()
    place = c.place("residence") or c.place()
    if place is None:
        return _association(d, c, when, rng)
    out = [
        f"Checks indicate that {d.person(s, 'suspect')} is living at "
        f"{d.premises(place, link=s.key, relation='lives_at')}."
    ]
    other = c.one("controller", "finance", exclude=[s])
    out.append(
        f"Utility accounts at the address are in the name of "
        f"{d.person(other, 'associate', link=s.key, relation='associate_of')}."
    )
    phone = c.sel("phone", s)
    if phone:
        out.append(f"{d.short[s.key]} is linked to {d.selector(phone, link=s.key)} through a mobile phone contract.")
    email = c.sel("email")
    if email and rng.random() < 0.5:
        out.append(f"The email address {d.selector(email)} is registered to the same address.")
    return " ".join(out), "analysis"


def _background(d: _Draft, gen: _Generator, when: date, rng: random.Random) -> tuple[str, str]:
    """A loose person: the everyday intelligence that is nothing to do with any group."""
    p = rng.choice(gen.loose)
    phone = next((s for s in gen.selectors_by_holder.get(p.key, []) if s.kind == "phone"), None)
    force = rng.choice(list(FORCE_AREAS))
    area, towns = FORCE_AREAS[force]
    town_i = rng.randrange(len(towns))
    street = f"{rng.choice(STREET_STEMS)} {rng.choice(STREET_TYPES)}"
    addr = (
        f"{rng.randint(1, 200)} {street}, {towns[town_i]} {area}{town_i * 6 + rng.randint(1, 6)} "
        f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )
    kind = rng.choice(("welfare", "witness", "tenant"))
    name = d.person(p, {"welfare": "witness", "witness": "witness", "tenant": "occupier"}[kind])
    tel = f" (tel {d.selector(phone, role='user', link=p.key)})" if phone else ""
    written = d.loose_selector("address", addr, role="location", link=p.key, relation="lives_at")
    if kind == "welfare":
        text = (
            f"Concern for welfare call from {name}{tel} about a neighbour at {written}. Officers attended; the "
            "occupants were spoken to and no offences were disclosed."
        )
    elif kind == "witness":
        text = (
            f"{lead(name)}{tel}, of {written}, reports seeing a van drop several men at a building site at dawn and "
            "collect them after dark. No vehicle details."
        )
    else:
        text = (
            f"{lead(name)}{tel} is the tenant of {written}. The landlord reports that six or more people appear to be "
            "living there; the local authority housing team has been informed."
        )
    return text, rng.choice(("public", "officer"))


SCENARIOS: dict[str, Scenario] = {
    "premises_visit": _premises_visit,
    "vehicle_stop": _vehicle_stop,
    "public_report": _public_report,
    "victim_disclosure": _victim_disclosure,
    "source_report": _source_report,
    "comms_analysis": _comms_analysis,
    "financial": _financial,
    "advert": _advert,
    "job_advert": _job_advert,
    "cannabis_farm": _cannabis_farm,
    "county_lines": _county_lines,
    "domestic": _domestic,
    "border": _border,
    "transport": _transport,
    "association": _association,
    "address_attribution": _address_attribution,
}
# Which scenarios each kind of author writes, by weight.
BY_ROLE = {
    "officer": (
        ("premises_visit", 25),
        ("vehicle_stop", 14),
        ("public_report", 18),
        ("victim_disclosure", 12),
        ("source_report", 10),
        ("association", 8),
        ("special", 13),
    ),
    "analyst": (
        ("comms_analysis", 22),
        ("financial", 18),
        ("special", 20),
        ("association", 15),
        ("address_attribution", 15),
        ("source_report", 10),
    ),
    "supervisor": (("source_report", 45), ("association", 15), ("victim_disclosure", 20), ("financial", 20)),
    "sio": (("source_report", 35), ("association", 25), ("victim_disclosure", 20), ("financial", 20)),
}
BY_ORG = {
    "bea": (("border", 70), ("victim_disclosure", 15), ("source_report", 15)),
    "ntp": (("transport", 60), ("victim_disclosure", 15), ("association", 15), ("vehicle_stop", 10)),
}
SPECIAL = {
    "sexual": ("advert",),
    "labour": ("job_advert", "premises_visit"),
    "criminal": ("cannabis_farm", "county_lines"),
    "domestic_servitude": ("domestic", "job_advert"),
}
# (source evaluation, intelligence assessment, handling code, weight) by kind of source.
GRADES = {
    "officer": (("1", "A", "P", 60), ("1", "B", "P", 30), ("2", "B", "P", 10)),
    "source": (("1", "B", "C", 40), ("2", "B", "C", 30), ("2", "C", "C", 20), ("1", "C", "C", 10)),
    "public": (("2", "C", "P", 40), ("2", "D", "P", 38), ("3", "D", "P", 16), ("2", "E", "P", 3), ("3", "C", "P", 3)),
    "victim": (("2", "A", "P", 50), ("2", "A", "C", 30), ("2", "B", "P", 20)),
    "analysis": (("1", "B", "P", 70), ("1", "C", "P", 20), ("2", "C", "P", 10)),
    "partner": (("1", "A", "P", 50), ("1", "B", "P", 50)),
    "financial": (("1", "B", "P", 60), ("1", "B", "C", 20), ("2", "C", "P", 20)),
}
CONDITIONS = {
    "source": (
        (["A2", "S2"], "", 40),
        (["A1", "S2"], "", 30),
        (["A1", "S1"], "", 20),
        (["A2", "S1"], "Source protected: do not act on this without consulting the originator.", 10),
    ),
    "victim": (
        ([], "Victim safety: do not approach the subjects without speaking to the victim care team.", 60),
        (["A1", "S2"], "", 40),
    ),
    "financial": ((["A1", "S1"], "Financial intelligence: not for evidential use.", 100),),
}
REVIEW_REASONS = (
    "Grading and handling confirmed; released.",
    "Reviewed: source grading accepted.",
    "Checked against source records; release.",
    "Handling conditions confirmed; release to partners.",
)


class _Generator:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.people = {p.key: p for p in world.people}
        self.groups = {g.key: g for g in world.groups}
        self.loose = [p for p in world.people if p.group is None]
        self.premises_by_group: dict[str, list[HiddenPremises]] = defaultdict(list)
        for pr in world.premises:
            self.premises_by_group[pr.group].append(pr)
        self.selectors_by_group: dict[str, list[HiddenSelector]] = defaultdict(list)
        self.selectors_by_holder: dict[str, list[HiddenSelector]] = defaultdict(list)
        for s in world.selectors:
            if s.group:
                self.selectors_by_group[s.group].append(s)
            self.selectors_by_holder[s.holder].append(s)
        orgs = {o.code: o for o in world.organisations if o.kind in LAW_ENFORCEMENT_KINDS}
        self.staff: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for u in world.users:
            if u.organisation in orgs:
                for role in u.roles:
                    if role in AUTHOR_ROLES:
                        self.staff[u.organisation][role].append(u.username)
        self.regional = next((g for g in world.sharing_groups if g.kind == SharingGroupKind.REGIONAL), None)
        self.national = next((g for g in world.sharing_groups if g.kind == SharingGroupKind.NATIONAL), None)
        self.territorial = [code for code in FORCE_AREAS if code in self.staff]
        self.elsewhere = [
            code
            for code, o in orgs.items()
            if code in self.staff and code not in FORCE_AREAS and code not in {"rocu", "ncd", "ntc", "bea", "ntp"}
        ]
        # Some groups fill the files; others are barely known.
        ranks = list(world.groups)
        rng.shuffle(ranks)
        self.group_weights = {g.key: 1 / (i + 1) ** 0.8 for i, g in enumerate(ranks)}
        self.group_start = {g.key: REFERENCE_DATE - timedelta(days=rng.randint(200, 1095)) for g in world.groups}

    def subject_role(self, p: HiddenPerson, rng: random.Random) -> str:
        if p.group_role == "victim":
            return "victim"
        if p.group_role == "associate" or p.group is None:
            return _choose(rng, (("associate", 70), ("suspect", 30)))
        return "suspect"

    def org_for(self, home: str, rng: random.Random) -> str:
        weights: dict[str, float] = {home: 50}
        for code in self.territorial:
            weights.setdefault(code, 2.5)
        for code, w in (("rocu", 7), ("ncd", 5), ("ntc", 3), ("bea", 4), ("ntp", 4)):
            if code in self.staff:
                weights[code] = w
        for code in self.elsewhere:
            weights[code] = 1
        codes = [c for c in weights if c in self.staff]
        return rng.choices(codes, [weights[c] for c in codes])[0]

    def author_in(self, org: str, rng: random.Random) -> tuple[str, str]:
        roles = [r for r in AUTHOR_ROLES if self.staff[org].get(r)]
        role = rng.choices(roles, [ROLE_WEIGHTS[r] for r in roles])[0]
        return rng.choice(self.staff[org][role]), role

    def sharing(self, org: str, level: str, rng: random.Random) -> list[str]:
        """The sharing groups a report names: only groups its organisation belongs to."""
        names: list[str] = []
        if self.regional is not None and org in self.regional.members:
            chance = {"confidential": 0.6, "restricted": 0.25, "shared": 0.05}[level]
            if rng.random() < chance:
                names.append(self.regional.name)
        if self.national is not None and org in self.national.members:
            chance = {"confidential": 0.05, "restricted": 0.02, "shared": 0.03}[level]
            if rng.random() < chance:
                names.append(self.national.name)
        return names

    def report(self, number: int) -> DemoReport:
        rng = self.rng
        background = not self.world.groups or (self.loose and rng.random() < 0.08)
        if background:
            group_key = None
            org = rng.choice(self.territorial or list(self.staff))
            author, role = self.author_in(org, rng)
            when = REFERENCE_DATE - timedelta(days=rng.randint(1, 1095))
            draft = _Draft(self, rng)
            text, source = _background(draft, self, when, rng)
            story = "background"
            exploitation: list[str] = []
        else:
            keys = list(self.group_weights)
            group_key = rng.choices(keys, [self.group_weights[k] for k in keys])[0]
            group = self.groups[group_key]
            org = self.org_for(group.home_force, rng)
            author, role = self.author_in(org, rng)
            start = self.group_start[group_key]
            when = start + timedelta(days=rng.randint(0, (REFERENCE_DATE - start).days - 1))
            story = _choose(rng, BY_ORG.get(org) or BY_ROLE[role])
            if story == "special":
                story = rng.choice(SPECIAL[group.exploitation])
            draft = _Draft(self, rng)
            cast = _Cast(self, group_key, rng)
            text, source = SCENARIOS[story](draft, cast, when, rng)
            exploitation = [group.exploitation]
            if rng.random() < 0.08:
                extra = rng.choice(("sexual", "labour", "criminal", "domestic_servitude"))
                if extra != group.exploitation:
                    exploitation.append(extra)
            if self.loose and rng.random() < 0.05:  # someone from outside the group turns up
                outsider = rng.choice(self.loose)
                anchor = next((k for k in draft.person_keys if k), None)
                mention = draft.person(outsider, "associate", link=anchor, relation="associate_of")
                text += f" {lead(mention)} is also linked to this activity and is not known to police."
        return self._finish(author, org, text, source, draft, when, exploitation, story, group_key)

    def _finish(
        self,
        author: str,
        org: str,
        text: str,
        source: str,
        draft: _Draft,
        when: date,
        exploitation: list[str],
        story: str,
        group_key: str | None,
    ) -> DemoReport:
        rng = self.rng
        s, a, h = _choose(rng, [((s, a, h), w) for s, a, h, w in GRADES[source]])
        conditions: list[str] = []
        conditions_text = ""
        if h == "C":
            conditions, conditions_text = _choose(
                rng, [((c, t), w) for c, t, w in CONDITIONS.get(source, CONDITIONS["source"])]
            )
        has_supervisor = bool(self.staff[org].get("supervisor"))
        if not has_supervisor and (s == "3" or a == "E" or h == "C"):
            # No supervisor to release it: the organisation grades it so it needs none.
            s, a, h, conditions, conditions_text = "1", "B", "P", [], ""
        true_grade = f"{s}{a}{h}"
        misgraded = rng.random() < 0.05
        if misgraded:
            s = rng.choice(("1", "2", "3"))
            a = rng.choice("ABCDE")
            if not has_supervisor and (s == "3" or a == "E"):
                s, a = "2", "C"
            misgraded = f"{s}{a}{h}" != true_grade
        level = _choose(rng, LEVEL_WEIGHTS)
        data = ReportInput(
            text=text,
            source_evaluation=s,
            intelligence_assessment=a,
            handling_code=h,
            handling_conditions=list(conditions),
            handling_conditions_text=conditions_text,
            classification="OFFICIAL-SENSITIVE" if source in {"source", "victim"} or rng.random() < 0.2 else "OFFICIAL",
            exploitation_types=exploitation,
            dissemination=level,
            occurred_on=when,
            subjects=draft.finish(),
        )
        report = DemoReport(
            author=author,
            data=data,
            organisation=org,
            story=story,
            person_keys=draft.person_keys,
            selector_keys=draft.selector_keys,
            sharing_groups=self.sharing(org, level, rng),
            group=group_key,
            true_grade=true_grade,
        )
        if report.needs_review and rng.random() < 0.9:
            report.review_by = rng.choice(self.staff[org]["supervisor"])
            if misgraded:
                report.review_changes = {"source_evaluation": true_grade[0], "intelligence_assessment": true_grade[1]}
                report.review_reason = f"Grading corrected to {true_grade[0]}{true_grade[1]} after checking the source."
            elif level == "shared" and rng.random() < 0.1:
                report.review_changes = {"dissemination": "restricted"}
                report.review_reason = "Source-sensitive: restricted, partners see a flag and may ask for access."
            else:
                report.review_reason = rng.choice(REVIEW_REASONS)
        return report


def world_reports(world: World, n_reports: int = DEFAULT_REPORTS) -> list[DemoReport]:
    """``n_reports`` reports about the world, the same ones every time for the same seed."""
    gen = _Generator(world, random.Random(f"{world.seed}:intelligence"))
    if not gen.staff:
        return []
    return [gen.report(i) for i in range(n_reports)]


# --- writing them ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntelligenceLoad:
    submitted: int
    reviewed: int
    awaiting_review: int
    by_level: dict[str, int]
    by_organisation: dict[str, int]
    group_entities: dict[str, list[int]] = field(default_factory=dict)


def group_entities(world: World, reports: list[DemoReport], saved: list[Any]) -> dict[str, list[int]]:
    """The hidden truth of the crime groups, as database entities: group key -> the entity ids that belong to it.

    A subject belongs to a group when the person it names, or the person who holds the selector or
    the group that uses the premises, is in the group (victims included). Each mention of a person
    is its own entity until linking joins them; selectors are one entity each.
    """
    from cairn.entities.choices import Property
    from cairn.entities.models import Statement

    person_group = {p.key: p.group for p in world.people}
    key_group = {pr.key: pr.group for pr in world.premises} | {
        s.key: person_group.get(s.holder) for s in world.selectors
    }
    by_report: dict[int, list[int]] = defaultdict(list)
    rows = (
        Statement.unscoped_objects.filter(report__in=[r.pk for r in saved if r is not None], prop=Property.SUBJECT)
        .order_by("report_id", "id")
        .values_list("report_id", "entity_id")
    )
    for report_id, entity_id in rows:
        by_report[report_id].append(entity_id)
    votes: dict[int, set[str]] = defaultdict(set)
    for r, report in zip(reports, saved, strict=True):
        entity_ids = by_report.get(report.pk, [])
        for j, entity_id in enumerate(entity_ids):
            person = r.person_keys[j] if j < len(r.person_keys) else None
            other = r.selector_keys[j] if j < len(r.selector_keys) else None
            group = person_group.get(person) if person else key_group.get(other) if other else None
            if group:
                votes[entity_id].add(group)
    out: dict[str, list[int]] = defaultdict(list)
    for entity_id, groups in votes.items():
        if len(groups) == 1:  # a selector put down to two groups' members belongs to neither
            out[next(iter(groups))].append(entity_id)
    return {k: sorted(v) for k, v in sorted(out.items())}


def load_reports(
    reports: list[DemoReport], users: dict[str, User], *, batch: int = SUBMIT_BATCH, world: World | None = None
) -> IntelligenceLoad:
    """Submit the reports as their authors, in batches per author, then the supervisors' reviews."""
    from cairn.accounts.models import SharingGroup
    from cairn.intelligence.choices import ReviewState
    from cairn.intelligence.services import report_review, report_submit_many

    group_ids = dict(SharingGroup.objects.values_list("name", "pk"))
    by_author: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(reports):
        by_author[r.author].append(i)
    saved: list[Any] = [None] * len(reports)
    for author in sorted(by_author):
        indices = by_author[author]
        for start in range(0, len(indices), batch):
            chunk = indices[start : start + batch]
            for i in chunk:
                reports[i].data.sharing_group_ids = [group_ids[n] for n in reports[i].sharing_groups]
            made = report_submit_many(actor=users[author], items=[reports[i].data for i in chunk])
            for i, report in zip(chunk, made, strict=True):
                saved[i] = report
    reviewed = 0
    for r, report in zip(reports, saved, strict=True):
        if r.review_by and report.review_state == ReviewState.AWAITING:
            report_review(
                actor=users[r.review_by], report=report, changes=dict(r.review_changes), reason=r.review_reason
            )
            reviewed += 1
    by_level: dict[str, int] = defaultdict(int)
    by_org: dict[str, int] = defaultdict(int)
    for r in reports:
        by_level[str((r.review_changes or {}).get("dissemination", r.data.dissemination))] += 1
        by_org[r.organisation] += 1
    awaiting = sum(1 for r in reports if r.needs_review and not r.review_by)
    truth = group_entities(world, reports, saved) if world is not None else {}
    return IntelligenceLoad(len(reports), reviewed, awaiting, dict(by_level), dict(sorted(by_org.items())), truth)
