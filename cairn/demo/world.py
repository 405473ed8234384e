"""The demo world: a deterministic, seeded scenario of a multi-agency response.

``build_world(seed)`` is pure: the same seed always gives the same world, with
no database involved. The loader writes it through the services. The world
carries hidden ground truth (who is really the same person, who belongs to
which crime group) that is never loaded as data: benchmarks and tests rebuild
it from the seed to score entity resolution and network analysis.

Later capabilities grow the world by adding sections here (intelligence,
operations, victims, assets), each drawn from its own seeded stream so adding
one does not change the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from cairn.accounts.choices import Jurisdiction, OrganisationKind, Role, SharingGroupKind, UnitKind

DEFAULT_SEED = 20260
WORLD_VERSION = 1
REGION = "Northern Shires"


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str
    jurisdiction: str
    region: str = ""
    units: tuple[tuple[str, str], ...] = ()

    @property
    def contact_point(self) -> str:
        return f"{self.name} intelligence desk, intel@{self.code}.cairn.example"


@dataclass(frozen=True)
class UserSpec:
    username: str
    organisation: str
    roles: tuple[str, ...]
    first_name: str
    last_name: str
    job_title: str
    unit: str | None = None

    @property
    def email(self) -> str:
        return f"{self.username}@{self.organisation}.cairn.example"


@dataclass(frozen=True)
class SharingGroupSpec:
    name: str
    kind: str
    members: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class HiddenPerson:
    """A real (in the world) person. Reports will describe them, imperfectly."""

    key: str
    given_names: tuple[str, ...]
    family_name: str
    native_script: str  # the name as written at home, when not Latin script
    nationality: str  # ISO 3166-1 alpha-2
    date_of_birth: date
    sex: str
    group: str | None  # key of the crime group, or None
    group_role: str  # controller, recruiter, driver, enforcer, finance, associate, victim


@dataclass(frozen=True)
class HiddenGroup:
    key: str
    name: str
    exploitation: str
    home_force: str
    members: tuple[str, ...]


@dataclass
class World:
    seed: int
    organisations: list[OrgSpec] = field(default_factory=list)
    sharing_groups: list[SharingGroupSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)
    people: list[HiddenPerson] = field(default_factory=list)
    groups: list[HiddenGroup] = field(default_factory=list)

    def ground_truth(self) -> dict:
        return {
            "seed": self.seed,
            "version": WORLD_VERSION,
            "people": [
                {
                    "key": p.key,
                    "name": " ".join((*p.given_names, p.family_name)),
                    "native_script": p.native_script,
                    "nationality": p.nationality,
                    "date_of_birth": p.date_of_birth.isoformat(),
                    "group": p.group,
                    "group_role": p.group_role,
                }
                for p in self.people
            ],
            "groups": [
                {"key": g.key, "name": g.name, "exploitation": g.exploitation, "home_force": g.home_force,
                 "members": list(g.members)}
                for g in self.groups
            ],
        }


PK = OrganisationKind
J = Jurisdiction
U = UnitKind

TERRITORIAL_FORCES = [
    ("aldermoor", "Aldermoor Police"),
    ("brackenridge", "Brackenridge Constabulary"),
    ("calderfell", "Calderfell Police"),
    ("dunmere", "Dunmere Constabulary"),
    ("eastholm", "Eastholm Police"),
    ("fellbeck", "Fellbeck Police"),
    ("greystone", "Greystone Constabulary"),
    ("harrowdale", "Harrowdale Police"),
]

FORCE_UNITS = (
    ("Force Intelligence Bureau", U.INTELLIGENCE_BUREAU),
    ("Modern Slavery and Trafficking Unit", U.ANTI_TRAFFICKING),
    ("Victim Care Team", U.VICTIM_CARE),
    ("Economic Crime Unit", U.FINANCIAL),
    ("Neighbourhood Policing", U.RESPONSE),
)


def _organisations() -> list[OrgSpec]:
    orgs = [
        OrgSpec(code, name, PK.POLICE_FORCE, J.ENGLAND_WALES, REGION, FORCE_UNITS)
        for code, name in TERRITORIAL_FORCES
    ]
    orgs += [
        OrgSpec("ntp", "National Transport Police", PK.POLICE_FORCE, J.UK_WIDE, "",
                (("Intelligence Hub", U.INTELLIGENCE_BUREAU),)),
        OrgSpec("rocu", "Northern Shires Regional Organised Crime Unit", PK.LAW_ENFORCEMENT_AGENCY, J.ENGLAND_WALES,
                REGION, (("Regional Intelligence Cell", U.MULTI_AGENCY_CELL),)),
        OrgSpec("ncd", "National Crime Directorate", PK.LAW_ENFORCEMENT_AGENCY, J.UK_WIDE, "",
                (("Modern Slavery Command", U.ANTI_TRAFFICKING), ("Financial Intelligence", U.FINANCIAL))),
        OrgSpec("ntc", "National Trafficking Centre", PK.NATIONAL_CENTRE, J.UK_WIDE, "",
                (("National Intelligence Cell", U.MULTI_AGENCY_CELL), ("Systems Team", U.OTHER))),
        OrgSpec("bea", "Border Enforcement Agency", PK.LAW_ENFORCEMENT_AGENCY, J.UK_WIDE, "",
                (("Border Intelligence", U.INTELLIGENCE_BUREAU),)),
        OrgSpec("rcs", "Revenue and Customs Service", PK.LAW_ENFORCEMENT_AGENCY, J.UK_WIDE, "",
                (("Fraud Investigation", U.FINANCIAL),)),
        OrgSpec("cpo", "Crown Prosecution Office", PK.PROSECUTOR, J.ENGLAND_WALES, "", ()),
        OrgSpec("safepassage", "Safe Passage Victim Care", PK.CHARITY, J.UK_WIDE, "",
                (("Casework", U.VICTIM_CARE),)),
        OrgSpec("dhs", "Department for Home Security", PK.GOVERNMENT, J.UK_WIDE, "",
                (("Analysis and Statistics", U.OTHER),)),
        OrgSpec("westmarch", "Westmarch Police", PK.POLICE_FORCE, J.ENGLAND_WALES, "Western Marches", FORCE_UNITS[:2]),
        OrgSpec("southvale", "Southvale Constabulary", PK.POLICE_FORCE, J.ENGLAND_WALES, "Southern Vales", FORCE_UNITS[:2]),
        OrgSpec("caledon", "Caledon Police Service", PK.POLICE_FORCE, J.SCOTLAND, "Scotland", FORCE_UNITS[:2]),
        OrgSpec("loughside", "Loughside Police Service", PK.POLICE_FORCE, J.NORTHERN_IRELAND, "Northern Ireland",
                FORCE_UNITS[:2]),
    ]
    return orgs


def _sharing_groups() -> list[SharingGroupSpec]:
    region = tuple(code for code, _ in TERRITORIAL_FORCES) + ("rocu",)
    national = tuple(code for code, _ in TERRITORIAL_FORCES) + (
        "ntp", "rocu", "ncd", "ntc", "bea", "rcs", "westmarch", "southvale", "caledon", "loughside",
    )
    return [
        SharingGroupSpec(f"{REGION} Regional Intelligence Cell", SharingGroupKind.REGIONAL, region,
                         "The eight territorial forces of the region and the regional organised crime unit."),
        SharingGroupSpec("National Trafficking Group", SharingGroupKind.NATIONAL, national,
                         "Every law-enforcement member working against trafficking."),
    ]


# Who works where: (username prefix, roles, unit name, job title) per kind of organisation.
R = Role
FORCE_STAFF = [
    ("officer", (R.OFFICER,), "Neighbourhood Policing", "Police constable"),
    ("analyst", (R.ANALYST,), "Force Intelligence Bureau", "Intelligence analyst"),
    ("supervisor", (R.SUPERVISOR,), "Force Intelligence Bureau", "Detective sergeant, intelligence supervisor"),
]
EXTRA_STAFF: dict[str, list[tuple[str, tuple[str, ...], str | None, str]]] = {
    "aldermoor": [
        ("sio", (R.SIO,), "Modern Slavery and Trafficking Unit", "Detective chief inspector"),
        ("victimcare", (R.VICTIM_CARE,), "Victim Care Team", "Victim care coordinator"),
        ("finance", (R.FINANCIAL_INVESTIGATOR,), "Economic Crime Unit", "Financial investigator"),
        ("auditor", (R.AUDITOR,), None, "Information assurance officer"),
        ("admin", (R.ADMINISTRATOR,), None, "Systems administrator"),
    ],
    "ntp": [("officer", (R.OFFICER,), "Intelligence Hub", "Police constable")],
    "rocu": [("analyst", (R.ANALYST,), "Regional Intelligence Cell", "Regional intelligence analyst"),
             ("supervisor", (R.SUPERVISOR,), "Regional Intelligence Cell", "Intelligence supervisor")],
    "ncd": [("analyst", (R.ANALYST,), "Modern Slavery Command", "Senior analyst"),
            ("supervisor", (R.SUPERVISOR,), "Modern Slavery Command", "Intelligence manager"),
            ("finance", (R.FINANCIAL_INVESTIGATOR,), "Financial Intelligence", "Financial investigator")],
    "ntc": [("analyst", (R.ANALYST,), "National Intelligence Cell", "Strategic analyst"),
            ("supervisor", (R.SUPERVISOR,), "National Intelligence Cell", "Intelligence supervisor"),
            ("admin", (R.ADMINISTRATOR,), "Systems Team", "Cairn administrator"),
            ("auditor", (R.AUDITOR,), "Systems Team", "Data protection officer")],
    "bea": [("officer", (R.OFFICER,), "Border Intelligence", "Border force officer")],
    "rcs": [("finance", (R.FINANCIAL_INVESTIGATOR,), "Fraud Investigation", "Financial investigator")],
    "safepassage": [("caseworker", (R.CASEWORKER,), "Casework", "Caseworker")],
    "dhs": [("statistician", (R.STATISTICIAN,), "Analysis and Statistics", "Statistician")],
}


def _users(orgs: list[OrgSpec], rng: random.Random) -> list[UserSpec]:
    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(2**31))
    users: list[UserSpec] = []
    for org in orgs:
        staff: list[tuple[str, tuple[str, ...], str | None, str]] = []
        if org.kind == PK.POLICE_FORCE and org.code != "ntp":
            unit_names = {n for n, _ in org.units}
            staff += [(p, r, u if u in unit_names else None, t) for p, r, u, t in FORCE_STAFF]
        staff += EXTRA_STAFF.get(org.code, [])
        for prefix, roles, unit, title in staff:
            first, last = fake.first_name(), fake.last_name()
            users.append(UserSpec(f"{prefix}.{org.code}", org.code, tuple(roles), first, last, title, unit))
    return users


# Nationalities seen in trafficking cases, with a Faker locale for realistic names.
NATIONALITIES = [
    ("VN", "vi_VN", 14), ("RO", "ro_RO", 12), ("AL", "sq_AL", 12), ("GB", "en_GB", 14), ("PL", "pl_PL", 8),
    ("CN", "zh_CN", 6), ("NG", "yo_NG", 7), ("SK", "sk_SK", 4), ("CZ", "cs_CZ", 3), ("HU", "hu_HU", 4),
    ("BG", "bg_BG", 5), ("LT", "lt_LT", 3), ("UA", "uk_UA", 4), ("IN", "en_IN", 3), ("EG", "ar_EG", 3),
]
EXPLOITATION = ["sexual", "labour", "criminal", "domestic_servitude"]
GROUP_ROLES = ["controller", "recruiter", "driver", "enforcer", "finance", "associate"]
NON_LATIN = {"CN", "BG", "UA", "EG"}


def _people_and_groups(rng: random.Random, n_groups: int, n_loose: int) -> tuple[list[HiddenPerson], list[HiddenGroup]]:
    fakers: dict[str, Faker] = {}
    for iso, locale, _ in NATIONALITIES:
        f = Faker(locale)
        f.seed_instance(rng.randrange(2**31))
        fakers[iso] = f
    latin = Faker("en_GB")
    latin.seed_instance(rng.randrange(2**31))
    weights = [w for _, _, w in NATIONALITIES]
    codes = [iso for iso, _, _ in NATIONALITIES]
    people: list[HiddenPerson] = []
    groups: list[HiddenGroup] = []

    def person(group: str | None, role: str, nationality: str) -> HiddenPerson:
        f = fakers[nationality]
        sex = rng.choice(["F", "M"]) if role != "victim" else rng.choice(["F", "F", "M"])
        given = f.first_name_female() if sex == "F" else f.first_name_male()
        family = f.last_name()
        native = ""
        if nationality in NON_LATIN:
            from anyascii import anyascii

            native = f"{given} {family}" if nationality != "CN" else f"{family}{given}"
            given, family = anyascii(given).strip().title(), anyascii(family).strip().title()
        middle: tuple[str, ...] = ()
        if nationality in {"GB", "RO", "NG", "IN"} and rng.random() < 0.3:
            middle = (latin.first_name_female() if sex == "F" else latin.first_name_male(),)
        age = rng.randint(18, 30) if role == "victim" else rng.randint(20, 62)
        dob = date(2026, 1, 1) - timedelta(days=age * 365 + rng.randint(0, 364))
        key = f"P{len(people) + 1:05d}"
        p = HiddenPerson(key, (given, *middle), family, native, nationality, dob, sex, group, role)
        people.append(p)
        return p

    force_codes = [code for code, _ in TERRITORIAL_FORCES]
    for g in range(n_groups):
        key = f"G{g + 1:03d}"
        home = rng.choice(codes[:8])
        size = rng.randint(5, 14)
        members = []
        for i in range(size):
            nat = home if rng.random() < 0.75 else rng.choices(codes, weights)[0]
            members.append(person(key, GROUP_ROLES[min(i, len(GROUP_ROLES) - 1)] if i < 6 else "associate", nat).key)
        for _ in range(rng.randint(2, 8)):
            members.append(person(key, "victim", rng.choices(codes, weights)[0]).key)
        surname = next(p.family_name for p in people if p.key == members[0])
        groups.append(HiddenGroup(key, f"The {surname} network", rng.choice(EXPLOITATION), rng.choice(force_codes),
                                  tuple(members)))
    for _ in range(n_loose):
        person(None, "associate", rng.choices(codes, weights)[0])
    return people, groups


def build_world(seed: int = DEFAULT_SEED, *, n_groups: int = 24, n_loose: int = 200) -> World:
    """The whole demo world for a seed. Each section draws from its own stream."""
    world = World(seed=seed)
    world.organisations = _organisations()
    world.sharing_groups = _sharing_groups()
    world.users = _users(world.organisations, random.Random(f"{seed}:users"))
    world.people, world.groups = _people_and_groups(random.Random(f"{seed}:people"), n_groups, n_loose)
    return world
