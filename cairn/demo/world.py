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

import phonenumbers
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


@dataclass(frozen=True)
class HiddenPremises:
    """A place a group works from or keeps people in, in its home force's area."""

    key: str
    group: str
    kind: str  # a PremisesType value
    name: str  # trading name; empty for a private house
    number: str  # "27" or "Flat 3, 27"
    street: str
    town: str
    postcode: str
    force: str
    phone: str = ""  # a business landline, in the drama range

    @property
    def address(self) -> str:
        return f"{self.number} {self.street}, {self.town} {self.postcode}"


@dataclass(frozen=True)
class HiddenSelector:
    """A phone, vehicle, account, advert, email or document and who really holds it."""

    key: str
    kind: str  # a SelectorKind value: phone, vrm, bank_account, iban, url, email, document
    value: str  # written the usual way ("07700 900123", "AB12 CDE", "20-45-77 41234567")
    holder: str  # the key of the person who uses or owns it
    group: str | None
    detail: str = ""  # "silver Vauxhall Astra", "Barclays", "advert", "passport"


@dataclass
class World:
    seed: int
    organisations: list[OrgSpec] = field(default_factory=list)
    sharing_groups: list[SharingGroupSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)
    people: list[HiddenPerson] = field(default_factory=list)
    groups: list[HiddenGroup] = field(default_factory=list)
    premises: list[HiddenPremises] = field(default_factory=list)
    selectors: list[HiddenSelector] = field(default_factory=list)
    nicknames: dict[str, str] = field(default_factory=dict)  # person key -> the name the street uses

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
                {
                    "key": g.key,
                    "name": g.name,
                    "exploitation": g.exploitation,
                    "home_force": g.home_force,
                    "members": list(g.members),
                }
                for g in self.groups
            ],
            "nicknames": dict(self.nicknames),
            "premises": [
                {
                    "key": p.key,
                    "group": p.group,
                    "kind": p.kind,
                    "name": p.name,
                    "address": p.address,
                    "force": p.force,
                    "phone": p.phone,
                }
                for p in self.premises
            ],
            "selectors": [
                {
                    "key": s.key,
                    "kind": s.kind,
                    "value": s.value,
                    "holder": s.holder,
                    "group": s.group,
                    "detail": s.detail,
                }
                for s in self.selectors
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
        OrgSpec(code, name, PK.POLICE_FORCE, J.ENGLAND_WALES, REGION, FORCE_UNITS) for code, name in TERRITORIAL_FORCES
    ]
    orgs += [
        OrgSpec(
            "ntp",
            "National Transport Police",
            PK.POLICE_FORCE,
            J.UK_WIDE,
            "",
            (("Intelligence Hub", U.INTELLIGENCE_BUREAU),),
        ),
        OrgSpec(
            "rocu",
            "Northern Shires Regional Organised Crime Unit",
            PK.LAW_ENFORCEMENT_AGENCY,
            J.ENGLAND_WALES,
            REGION,
            (("Regional Intelligence Cell", U.MULTI_AGENCY_CELL),),
        ),
        OrgSpec(
            "ncd",
            "National Crime Directorate",
            PK.LAW_ENFORCEMENT_AGENCY,
            J.UK_WIDE,
            "",
            (("Modern Slavery Command", U.ANTI_TRAFFICKING), ("Financial Intelligence", U.FINANCIAL)),
        ),
        OrgSpec(
            "ntc",
            "National Trafficking Centre",
            PK.NATIONAL_CENTRE,
            J.UK_WIDE,
            "",
            (("National Intelligence Cell", U.MULTI_AGENCY_CELL), ("Systems Team", U.OTHER)),
        ),
        OrgSpec(
            "bea",
            "Border Enforcement Agency",
            PK.LAW_ENFORCEMENT_AGENCY,
            J.UK_WIDE,
            "",
            (("Border Intelligence", U.INTELLIGENCE_BUREAU),),
        ),
        OrgSpec(
            "rcs",
            "Revenue and Customs Service",
            PK.LAW_ENFORCEMENT_AGENCY,
            J.UK_WIDE,
            "",
            (("Fraud Investigation", U.FINANCIAL),),
        ),
        OrgSpec("cpo", "Crown Prosecution Office", PK.PROSECUTOR, J.ENGLAND_WALES, "", ()),
        OrgSpec("safepassage", "Safe Passage Victim Care", PK.CHARITY, J.UK_WIDE, "", (("Casework", U.VICTIM_CARE),)),
        OrgSpec(
            "dhs", "Department for Home Security", PK.GOVERNMENT, J.UK_WIDE, "", (("Analysis and Statistics", U.OTHER),)
        ),
        OrgSpec("westmarch", "Westmarch Police", PK.POLICE_FORCE, J.ENGLAND_WALES, "Western Marches", FORCE_UNITS[:2]),
        OrgSpec(
            "southvale", "Southvale Constabulary", PK.POLICE_FORCE, J.ENGLAND_WALES, "Southern Vales", FORCE_UNITS[:2]
        ),
        OrgSpec("caledon", "Caledon Police Service", PK.POLICE_FORCE, J.SCOTLAND, "Scotland", FORCE_UNITS[:2]),
        OrgSpec(
            "loughside",
            "Loughside Police Service",
            PK.POLICE_FORCE,
            J.NORTHERN_IRELAND,
            "Northern Ireland",
            FORCE_UNITS[:2],
        ),
    ]
    return orgs


def _sharing_groups() -> list[SharingGroupSpec]:
    region = tuple(code for code, _ in TERRITORIAL_FORCES) + ("rocu",)
    national = tuple(code for code, _ in TERRITORIAL_FORCES) + (
        "ntp",
        "rocu",
        "ncd",
        "ntc",
        "bea",
        "rcs",
        "westmarch",
        "southvale",
        "caledon",
        "loughside",
    )
    return [
        SharingGroupSpec(
            f"{REGION} Regional Intelligence Cell",
            SharingGroupKind.REGIONAL,
            region,
            "The eight territorial forces of the region and the regional organised crime unit.",
        ),
        SharingGroupSpec(
            "National Trafficking Group",
            SharingGroupKind.NATIONAL,
            national,
            "Every law-enforcement member working against trafficking.",
        ),
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
    "rocu": [
        ("analyst", (R.ANALYST,), "Regional Intelligence Cell", "Regional intelligence analyst"),
        ("supervisor", (R.SUPERVISOR,), "Regional Intelligence Cell", "Intelligence supervisor"),
    ],
    "ncd": [
        ("analyst", (R.ANALYST,), "Modern Slavery Command", "Senior analyst"),
        ("supervisor", (R.SUPERVISOR,), "Modern Slavery Command", "Intelligence manager"),
        ("finance", (R.FINANCIAL_INVESTIGATOR,), "Financial Intelligence", "Financial investigator"),
    ],
    "ntc": [
        ("analyst", (R.ANALYST,), "National Intelligence Cell", "Strategic analyst"),
        ("supervisor", (R.SUPERVISOR,), "National Intelligence Cell", "Intelligence supervisor"),
        ("admin", (R.ADMINISTRATOR,), "Systems Team", "Cairn administrator"),
        ("auditor", (R.AUDITOR,), "Systems Team", "Data protection officer"),
    ],
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
    ("VN", "vi_VN", 14),
    ("RO", "ro_RO", 12),
    ("AL", "sq_AL", 12),
    ("GB", "en_GB", 14),
    ("PL", "pl_PL", 8),
    ("CN", "zh_CN", 6),
    ("NG", "yo_NG", 7),
    ("SK", "sk_SK", 4),
    ("CZ", "cs_CZ", 3),
    ("HU", "hu_HU", 4),
    ("BG", "bg_BG", 5),
    ("LT", "lt_LT", 3),
    ("UA", "uk_UA", 4),
    ("IN", "en_IN", 3),
    ("EG", "ar_EG", 3),
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
        groups.append(
            HiddenGroup(
                key, f"The {surname} network", rng.choice(EXPLOITATION), rng.choice(force_codes), tuple(members)
            )
        )
    for _ in range(n_loose):
        person(None, "associate", rng.choices(codes, weights)[0])
    return people, groups


# --- premises, phones, vehicles, accounts, adverts: what reports about the groups mention -------------

# Each territorial force's towns and a made-up but well-shaped postcode area (no real area uses these
# letters), so every address a group uses sits in its home force's patch.
FORCE_AREAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "aldermoor": ("AM", ("Aldermoor", "Skelby", "Thornwick")),
    "brackenridge": ("BK", ("Brackenridge", "Haverleigh", "Oakmere")),
    "calderfell": ("CL", ("Calderfell", "Marsden Bridge", "Lowgill")),
    "dunmere": ("DM", ("Dunmere", "Ashby Moor", "Kelderton")),
    "eastholm": ("EM", ("Eastholm", "Saltcote", "Withernby")),
    "fellbeck": ("FB", ("Fellbeck", "Raventhorpe", "Highbeck")),
    "greystone": ("GT", ("Greystone", "Millbridge", "Stonecross")),
    "harrowdale": ("HW", ("Harrowdale", "Lynford", "Northwick")),
}
# The fixed story (cairn/demo/story.py) owns these numbers: the world never hands them out.
STORY_RESERVED_PHONES = frozenset({"07700 900461"})

STREET_STEMS = (
    "Mill",
    "Church",
    "Station",
    "High",
    "Victoria",
    "Park",
    "Chapel",
    "Queen's",
    "King",
    "Albert",
    "New",
    "Water",
    "Bridge",
    "Moor",
    "Green",
    "North",
    "South",
    "Market",
    "Castle",
    "Oak",
    "Elm",
)
STREET_TYPES = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Terrace",
    "Grove",
    "Crescent",
    "Way",
    "Gardens",
    "Place",
    "Parade",
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in the inward code
PREMISES_MIX = {
    "sexual": (("massage_parlour", 3), ("residence", 4), ("sauna", 1), ("hotel", 2)),
    "labour": (("car_wash", 3), ("nail_bar", 3), ("farm", 2), ("factory", 2), ("restaurant", 2), ("residence", 2)),
    "criminal": (("cannabis_farm", 4), ("residence", 3), ("car_wash", 1), ("nail_bar", 1)),
    "domestic_servitude": (("residence", 6), ("restaurant", 1)),
}
PREMISES_NAMES = {
    "nail_bar": ("{} Nails", ("Lotus", "Diamond", "Pretty", "Star", "Luxury", "Golden", "Perfect", "VIP", "Crystal")),
    "car_wash": ("{} Hand Car Wash", ("Sparkle", "Supreme", "Elite", "Express", "Royal", "Premier", "Magic")),
    "massage_parlour": ("{} Massage", ("Oriental", "Golden Lotus", "Bamboo", "Thai Orchid", "Serenity", "Jasmine")),
    "sauna": ("{} Sauna and Spa", ("Paradise", "Velvet", "Blue Lagoon", "Silk")),
    "hotel": ("The {} Hotel", ("Station", "Riverside", "Grange", "Crown", "Kings Arms", "Moorland")),
    "farm": ("{} Farm", ("Moorside", "Low Fold", "Hollin Hall", "Beck House", "Intake", "Whinfield")),
    "factory": ("{} Packaging Ltd", ("Northern", "Pennine", "Premier", "Valley", "Apex")),
    "restaurant": ("{} Takeaway", ("Golden Dragon", "Lucky Star", "Istanbul Grill", "Spice Garden", "Pizza Express")),
}
VEHICLES = (
    ("Vauxhall", "Astra"),
    ("Ford", "Transit"),
    ("BMW", "3 Series"),
    ("Mercedes-Benz", "Sprinter"),
    ("Volkswagen", "Golf"),
    ("Toyota", "Prius"),
    ("Ford", "Focus"),
    ("Audi", "A4"),
    ("Skoda", "Octavia"),
    ("Nissan", "Qashqai"),
    ("Vauxhall", "Vivaro"),
    ("Mercedes-Benz", "C-Class"),
)
COLOURS = ("silver", "black", "white", "grey", "blue", "red")
VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # no I, Q or Z
VRM_AGES = ("15", "65", "16", "66", "17", "67", "18", "68", "19", "69", "20", "70", "21", "71", "22", "72", "23")
UK_BANKS = (
    ("NWBK", "NatWest"),
    ("BARC", "Barclays"),
    ("LOYD", "Lloyds"),
    ("HBUK", "HSBC"),
    ("MIDL", "HSBC"),
    ("SRLG", "Monzo"),
    ("NAIA", "Nationwide"),
)
# Foreign accounts as IBANs: (country, bank code, branch code length, account length, bank name).
FOREIGN_BANKS = {
    "RO": (("BTRL", 0, 16, "Banca Transilvania"), ("RNCB", 0, 16, "BCR"), ("BRDE", 0, 16, "BRD")),
    "LT": (("73000", 0, 11, "Swedbank"), ("70440", 0, 11, "SEB")),
    "AL": (("202", 4, 16, "Raiffeisen Albania"), ("212", 4, 16, "Intesa Sanpaolo Albania")),
}
FOREIGN_MOBILES = {  # country calling code and national mobile prefixes
    "RO": ("40", ("721", "722", "744", "745", "755", "766", "787")),
    "VN": ("84", ("90", "91", "93", "96", "97", "98", "88")),
    "AL": ("355", ("67", "68", "69")),
}
ADVERT_SITES = {
    "sexual": (
        "vivalist.example/{town}/escorts/{slug}-{n}",
        "nightlistings.example/ad/{n}",
        "adultdirectory.example/profile/{slug}{n2}",
    ),
    "labour": (
        "jobsnow.example/job/{n}",
        "facebook.example/groups/{town}-jobs/posts/{n}",
        "gumtree.example/jobs/{town}/{slug}/{n}",
    ),
    "criminal": ("snapchat.example/add/{slug}{n2}", "instagram.example/{slug}_{n2}"),
    "domestic_servitude": ("nannyfinder.example/listing/{n}",),
}
ADVERT_SLUGS = {
    "sexual": ("new-girl", "sexy-lily", "asian-beauty", "young-fun", "new-in-town", "sweet-anna"),
    "labour": ("car-wash-staff", "farm-workers", "nail-technician", "factory-work", "cash-daily"),
    "criminal": ("easy-money", "quick-cash", "mandem", "grind"),
    "domestic_servitude": ("housekeeper-wanted", "live-in-nanny", "family-helper"),
}
EMAIL_DOMAINS = ("mailbox.example", "inbox.example", "quickmail.example", "postbox.example")
NICKNAMES = (
    "Boss",
    "Tiger",
    "Uncle",
    "Big Man",
    "Papa",
    "Shorty",
    "Ghost",
    "Prince",
    "Mama",
    "Doctor",
    "Kojak",
    "Chef",
    "Bear",
    "Smokey",
    "Red",
    "Lucky",
    "Bruno",
    "Sparky",
)
VIETNAMESE_NICKNAMES = ("Anh Hai", "Anh Ba", "Chú Tư", "Chị Năm", "Anh Sáu", "Bác Bảy")


def _iban(rng: random.Random, country: str) -> tuple[str, str]:
    from schwifty import IBAN

    bank, branch_len, account_len, name = rng.choice(FOREIGN_BANKS[country])
    branch = "".join(rng.choice("0123456789") for _ in range(branch_len))
    account = "".join(rng.choice("0123456789") for _ in range(account_len))
    return IBAN.generate(country, bank_code=bank, branch_code=branch, account_code=account).formatted, name


def _assets(world: World, rng: random.Random) -> tuple[list[HiddenPremises], list[HiddenSelector], dict[str, str]]:
    """Premises, selectors and nicknames for the hidden people and groups, from their own stream."""
    from anyascii import anyascii
    from schwifty import IBAN

    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(2**31))
    people = {p.key: p for p in world.people}
    premises: list[HiddenPremises] = []
    selectors: list[HiddenSelector] = []
    nicknames: dict[str, str] = {}
    mobiles = [f"07700 900{n:03d}" for n in range(1000)]
    rng.shuffle(mobiles)
    mobiles = [m for m in mobiles if m not in STORY_RESERVED_PHONES]
    landlines = [f"01632 960{n:03d}" for n in range(1000)]
    rng.shuffle(landlines)
    used_vrms: set[str] = set()

    def add(kind: str, value: str, holder: str, group: str | None, detail: str = "") -> None:
        selectors.append(HiddenSelector(f"S{len(selectors) + 1:05d}", kind, value, holder, group, detail))

    def phone(person: HiddenPerson, nationality: str = "") -> str:
        foreign = FOREIGN_MOBILES.get(nationality or person.nationality)
        if foreign is not None and (nationality or rng.random() < 0.35 or not mobiles):
            code, prefixes = foreign
            while True:
                prefix = rng.choice(prefixes)
                national = prefix + "".join(rng.choice("0123456789") for _ in range(9 - len(prefix)))
                number = phonenumbers.parse(f"+{code}{national}")
                if phonenumbers.is_valid_number(number):
                    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if not mobiles:  # a very large world: fall back to Romanian numbers, which are plentiful
            return phone(person, "RO")
        return mobiles.pop()

    def vrm() -> str:
        while True:
            value = (
                rng.choice(VRM_LETTERS[:-1])
                + rng.choice(VRM_LETTERS)
                + rng.choice(VRM_AGES)
                + " "
                + "".join(rng.choice(VRM_LETTERS) for _ in range(3))
            )
            if value not in used_vrms:
                used_vrms.add(value)
                return value

    def uk_account() -> tuple[str, str, str]:
        code, bank = rng.choice(UK_BANKS)
        sort = f"{rng.randint(10, 99)}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
        account = f"{rng.randint(10_000_000, 99_999_999)}"
        return sort, account, f"{code}:{bank}"

    for group in world.groups:
        members = [people[k] for k in group.members]
        by_role: dict[str, list[HiddenPerson]] = {}
        for m in members:
            by_role.setdefault(m.group_role, []).append(m)
        area, towns = FORCE_AREAS.get(group.home_force, ("AM", ("Aldermoor",)))
        kinds, weights = zip(*PREMISES_MIX[group.exploitation], strict=True)
        n_premises = rng.randint(1, 4)
        for i in range(n_premises):
            work = [(k, w) for k, w in zip(kinds, weights, strict=True) if k != "residence"]
            if i == 0 and group.exploitation != "domestic_servitude":  # the first is where the work happens
                kind = rng.choices([k for k, _ in work], [w for _, w in work])[0]
            else:
                kind = rng.choices(kinds, weights)[0]
            town_index = rng.randrange(len(towns))
            district = town_index * 6 + rng.randint(1, 6)
            postcode = f"{area}{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            street = f"{rng.choice((*STREET_STEMS, fake.last_name(), fake.last_name()))} {rng.choice(STREET_TYPES)}"
            number = str(rng.randint(1, 180))
            if kind in {"residence", "massage_parlour", "cannabis_farm"} and rng.random() < 0.35:
                number = f"Flat {rng.randint(1, 12)}, {number}"
            name = ""
            if kind in PREMISES_NAMES:
                pattern, words = PREMISES_NAMES[kind]
                name = pattern.format(rng.choice(words))
            landline = landlines.pop() if name and landlines and rng.random() < 0.6 else ""
            premises.append(
                HiddenPremises(
                    f"L{len(premises) + 1:04d}",
                    group.key,
                    kind,
                    name,
                    number,
                    street,
                    towns[town_index],
                    postcode,
                    group.home_force,
                    landline,
                )
            )
        # Phones: the core members carry one or two, a few victims one; the controller keeps a work line.
        for m in members:
            if m.group_role == "victim":
                count = 1 if rng.random() < 0.4 else 0
            elif m.group_role == "associate":
                count = 1 if rng.random() < 0.5 else 0
            else:
                count = 2 if m.group_role == "controller" or rng.random() < 0.2 else 1
            for _ in range(count):
                add("phone", phone(m), m.key, group.key, "mobile")
        core = [m for m in members if m.group_role not in {"victim", "associate"}]
        drivers = by_role.get("driver", []) + by_role.get("controller", []) + by_role.get("enforcer", [])
        for _ in range(rng.randint(1, 3)):
            make, model = rng.choice(VEHICLES)
            add(
                "vrm",
                vrm(),
                rng.choice(drivers or core or members).key,
                group.key,
                f"{rng.choice(COLOURS)} {make} {model}",
            )
        holders = by_role.get("finance", []) + by_role.get("controller", [])
        for _ in range(rng.randint(1, 3)):
            holder = rng.choice(holders or core or members)
            if holder.nationality in FOREIGN_BANKS and rng.random() < 0.6:
                value, bank = _iban(rng, holder.nationality)
                add("iban", value, holder.key, group.key, bank)
            else:
                sort, account, bank = uk_account()
                code, name = bank.split(":")
                if rng.random() < 0.25:
                    value = IBAN.generate(
                        "GB", bank_code=code, branch_code=sort.replace("-", ""), account_code=account
                    ).formatted
                    add("iban", value, holder.key, group.key, name)
                else:
                    add("bank_account", f"{sort} {account}", holder.key, group.key, name)
        if group.exploitation == "labour":  # wages paid into victims' accounts, then taken
            for victim in rng.sample(by_role.get("victim", []), min(2, len(by_role.get("victim", [])))):
                sort, account, bank = uk_account()
                add("bank_account", f"{sort} {account}", victim.key, group.key, bank.split(":")[1])
        sites = ADVERT_SITES[group.exploitation]
        advertisers = by_role.get("recruiter", []) + by_role.get("controller", [])
        n_adverts = {"sexual": (2, 5), "labour": (1, 2), "criminal": (0, 1), "domestic_servitude": (0, 1)}
        for _ in range(rng.randint(*n_adverts[group.exploitation])):
            url = "https://" + rng.choice(sites).format(
                town=towns[0].lower().replace(" ", "-"),
                slug=rng.choice(ADVERT_SLUGS[group.exploitation]),
                n=rng.randint(100000, 999999),
                n2=rng.randint(10, 99),
            )
            add("url", url, rng.choice(advertisers or core or members).key, group.key, "advert")
        for m in by_role.get("recruiter", []) + by_role.get("finance", []):
            if rng.random() < 0.5:
                local = anyascii(f"{m.given_names[0]}.{m.family_name}").lower().replace(" ", "").replace("'", "")
                add("email", f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}", m.key, group.key, "email")
        for victim in by_role.get("victim", []):
            if victim.nationality != "GB" and rng.random() < 0.5:
                number = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + str(
                    rng.randint(1_000_000, 9_999_999)
                )
                add("document", number, victim.key, group.key, "passport")
        for m in members:
            if m.group_role != "victim" and rng.random() < 0.25:
                if m.nationality == "VN":
                    nicknames[m.key] = rng.choice(VIETNAMESE_NICKNAMES)
                elif rng.random() < 0.5 and len(stem := anyascii(m.given_names[0])[:4].rstrip("aeiouy")) >= 3:
                    nicknames[m.key] = stem + rng.choice(("y", "i", "o"))
                else:
                    nicknames[m.key] = rng.choice(NICKNAMES)
    for p in world.people:
        if p.group is None and rng.random() < 0.3:
            add("phone", phone(p), p.key, None, "mobile")
    return premises, selectors, nicknames


def build_world(seed: int = DEFAULT_SEED, *, n_groups: int = 24, n_loose: int = 200) -> World:
    """The whole demo world for a seed. Each section draws from its own stream."""
    world = World(seed=seed)
    world.organisations = _organisations()
    world.sharing_groups = _sharing_groups()
    world.users = _users(world.organisations, random.Random(f"{seed}:users"))
    world.people, world.groups = _people_and_groups(random.Random(f"{seed}:people"), n_groups, n_loose)
    world.premises, world.selectors, world.nicknames = _assets(world, random.Random(f"{seed}:assets"))
    return world
