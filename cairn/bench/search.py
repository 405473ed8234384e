"""The search benchmark: a million generated reports and person records, searched as one officer.

``run()`` builds a benchmark database (``cairn.bench.database``) of one report per person record,
each naming a person (a noisy spelling of one of fewer true people) and a phone, vehicle, email or
bank account, loaded with PostgreSQL's COPY (setup, not what is measured). It then times the
searches a user waits for, with the access rule and without it:

* people by a noisy name (and a year of birth for half of them), with recall@10 against the
  generated truth, which is kept in memory only, never in the database;
* exact selectors written another way than the report wrote them;
* words in reports;
* beside them the naive baseline on the same data: one trigram-indexed full-name column queried
  with ``name % q ORDER BY similarity DESC LIMIT 10``.
"""

from __future__ import annotations

import bisect
import copy
import math
import random
import sys
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TextIO

from django.db import connection, transaction

from cairn.accounts.choices import Jurisdiction, OrganisationKind, Role, SharingGroupKind
from cairn.accounts.models import Organisation, SharingGroup, User
from cairn.entities.normalise import name_tokens
from cairn.intelligence.models import IntelligenceReport
from cairn.intelligence.services import REFERENCE_SEQUENCES_SQL
from cairn.search.models import NameKey, PersonName

DEFAULT_REPORTS = 1_000_000
DEFAULT_QUERIES = 1000
DEFAULT_SEED = 7
OFFICER_USERNAME = "officer.search"
TIMEOUT_MS = 3000  # what cairn.search.selectors.search() sets for every search
META_TABLE = "bench_search_meta"
NAIVE_TABLE = "bench_naive"
INDEX_TABLE = "bench_search_dropped_indexes"
FORMAT_VERSION = 2  # bump when the generated data changes, so a kept database is rebuilt

# The targets on the project's 2-core machine.
TARGETS = {"person_p95": 50.0, "person_recall": 0.95, "selector_p95": 10.0, "text_p95": 100.0, "overhead": 0.50}

# --- names ---------------------------------------------------------------------------------------

# Spellings of the same name; a person's canonical spelling is drawn from the group (first ones
# more often) and a transliteration variant swaps it for another member.
VARIANT_GROUPS = (
    "mohammed muhammad mohamed mohammad muhammed mohamad mohamud mohammod",
    "ahmed ahmad ahmet",
    "mahmoud mahmud mahmood",
    "hussein hussain husain hussien husein hossein",
    "hassan hasan",
    "abdullah abdallah abdulla",
    "omar umar omer",
    "osman othman usman uthman",
    "yusuf youssef yousef yousif yosef yousuf",
    "ibrahim ebrahim ibraheem",
    "ismail ismael esmail",
    "mustafa mostafa moustafa",
    "khalid khaled",
    "suleiman sulaiman soliman suleyman",
    "abdelrahman abdulrahman abdalrahman abdurrahman",
    "abdelaziz abdulaziz abdalaziz",
    "abdelkarim abdulkarim abdel-karim",
    "jamal gamal",
    "jaafar jafar gaafar",
    "fatima fatma fatimah fatemeh",
    "aisha ayesha aysha",
    "mariam maryam meryem",
    "yasin yaseen yassin",
    "idris idriss edris idrees",
    "saleh salih",
    "ali aly",
    "karim kareem",
    "said saeed sayed sayid",
    "rashid rasheed",
    "younis yunus younes",
    "zakaria zakariya zachariah",
    "haroun haroon harun",
    "jibril jibreel gabriel",
    "musa mousa moussa",
    "issa isa eisa",
    "qasim kasim qassim",
    "bilal belal",
    "zainab zaynab",
    "khadija khadijah",
    "amina aminah",
    "tesfay tesfaye tesfai",
    "yohannes yohanes johannes",
    "gebremedhin ghebremedhin gebremedin",
    "tsegay tsegai tsegaye",
    "tewelde tewolde",
    "tekle teklay",
    "mikael michael mikiel",
    "isaias isayas esayas",
    "kahsay kahsai",
    "mussie musie moussie",
    "okbay okubay",
    "zerai zeray",
    "berhane berhan",
    "zabihullah zabiullah zabeehullah",
    "rahmatullah rahmatollah",
    "mohammadi muhammadi mohamadi",
    "hosseini husseini hosaini",
    "rezaei rezai rezaie",
    "yousufzai yousafzai yusufzai",
    "jafari jaffari jafary",
    "reza riza",
    "mehdi mahdi",
    "hamid hameed",
    "naveed navid",
    "sayed sayyid syed",
    "nguyen nguyên",
    "huynh huyen",
    "vu vo",
    "krasniqi krasniki",
    "hoxha hoxa hodja",
    "ionut ionuts",
    "popescu popesku",
    "aleksandr alexander oleksandr",
    "sergei sergey serhiy",
    "dmitri dmitry dmytro",
    "andriy andrii andrei",
    "mykola nikolai nikolay",
    "olena elena yelena",
    "yuliya yulia julia",
    "tatiana tetiana tatyana",
    "natalia nataliya natalya",
    "oluwaseun oluseun",
    "adebayo adebayor",
)
VARIANTS: dict[str, tuple[str, ...]] = {}


def _words(text: str) -> list[str]:
    return text.split()


for _group in VARIANT_GROUPS:
    _members = tuple(_group.split())
    for _m in _members:
        VARIANTS.setdefault(_m, _members)

# Ways one script is written in another, or one language's spelling in another's.
TRANSLIT_RULES = (
    ("ph", "f"),
    ("f", "ph"),
    ("kh", "h"),
    ("ks", "x"),
    ("x", "ks"),
    ("y", "i"),
    ("i", "y"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "y"),
    ("dj", "j"),
    ("zh", "j"),
    ("j", "dzh"),
    ("ch", "tch"),
    ("ts", "tz"),
    ("tz", "ts"),
    ("c", "k"),
    ("k", "c"),
    ("w", "v"),
    ("v", "w"),
    ("sz", "s"),
    ("cz", "ch"),
    ("ck", "k"),
    ("ei", "ey"),
    ("ey", "ei"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("dh", "d"),
    ("gh", "g"),
    ("q", "k"),
    ("mm", "m"),
    ("ll", "l"),
    ("ss", "s"),
    ("tt", "t"),
    ("nn", "n"),
    ("ov", "off"),
    ("ev", "eff"),
    ("ya", "ia"),
    ("yu", "iu"),
    ("ia", "ya"),
    ("sh", "sch"),
    ("u", "oo"),
)
SPLIT_PREFIXES = ("abdul", "abdel", "abdal", "abd", "al", "el", "gebre", "ghebre", "wolde", "habte", "tesfa", "nur")
ZH_SYLLABLES = _words(
    "wei fang min jing li qiang lei jun yang yong yan jie tao ming chao xiu ying hua hui jian guo hong ping gang "
    "hai xin yu zhi lin na xia dong feng bo chun mei lan qing wen xiao jia hao kai rui tian yi zi han lu shu yun "
    "cheng long peng fei ning ting xue bin liang jin"
)

ALBANIAN_MALE = _words(
    "Arben Besnik Dritan Elton Ermal Fatmir Gentian Ilir Kastriot Klodian Ledio Mergim Mirjan Olsi Redon Sokol "
    "Taulant Valon Ylli Xhevdet Erion Edmond Agron Blerim Florian Gëzim Fatjon Besart Endrit Arjan Artan Alban "
    "Bledar Dorian Eljon Jurgen Kristi Lulzim Marsel Nertil Altin Andi Ardit Ervin Klevis Orges Renaldo Sajmir"
)
ALBANIAN_FEMALE = _words(
    "Anisa Besa Blerta Drita Elira Entela Fjolla Jonida Klea Ledia Mirela Rudina Vjosa Xhesika Ardita Alketa "
    "Brikena Dafina Erjona Fatbardha Klaudia Megi Sara Elona Denisa"
)
ALBANIAN_FAMILY = _words(
    "Hoxha Shehu Dervishi Kola Gjoka Leka Berisha Krasniqi Hasani Gashi Shala Rama Marku Prifti Hysa Cela Muça "
    "Bregu Dushku Kapllani Mema Meta Ndreu Tafa Xhafa Zeneli Lleshi Basha Brahimi Kurti Mustafa Bajrami Demiri "
    "Halili Ismaili Sadiku Spahiu Toska Vata Kelmendi Dedja Gjini Gjonaj Pllumbi Rexhepi Qosja Sula Topalli Veliu "
    "Ymeri Çela Bushati Dibra Ferati Gjeka Hajdari Kaçi Lika Malaj Nikolla Pepa Rrapi Shkurti Troshani"
)
VIET_FAMILY = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 2),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 2),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 1),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
    ("Mai", 1),
    ("Đinh", 1),
    ("Trương", 1),
    ("Lâm", 1),
    ("Đào", 1),
    ("Lương", 1),
    ("Cao", 1),
    ("Tạ", 1),
)
VIET_MIDDLE_MALE: tuple[tuple[str, int], ...] = (
    ("Văn", 40),
    ("Đức", 8),
    ("Minh", 8),
    ("Quang", 6),
    ("Hữu", 6),
    ("Thanh", 5),
    ("Xuân", 4),
)
VIET_MIDDLE_MALE += (("Hoàng", 3), ("Hải", 3), ("Công", 4), ("Đình", 5), ("Bảo", 3), ("Tiến", 2), ("Ngọc", 3))
VIET_MIDDLE_FEMALE: tuple[tuple[str, int], ...] = (
    ("Thị", 55),
    ("Ngọc", 8),
    ("Thu", 6),
    ("Thanh", 6),
    ("Kim", 5),
    ("Mỹ", 4),
    ("Hồng", 4),
)
VIET_MIDDLE_FEMALE += (("Minh", 3), ("Bảo", 3), ("Phương", 3), ("Thùy", 3))
VIET_GIVEN_MALE = _words(
    "An Anh Bảo Bình Cường Đạt Đức Dũng Duy Giang Hải Hiếu Hòa Hoàng Hùng Huy Khánh Khoa Kiên Lâm Lộc Long Luân "
    "Minh Nam Nghĩa Nhân Phát Phong Phúc Quân Quang Quý Sơn Tài Tâm Thắng Thành Thịnh Toàn Trí Trung Tuấn Tùng "
    "Việt Vinh Hưng Tú Vũ Chiến Công Định Hậu Hiển Hoan Khải Lực Mạnh Nguyên Sang Tấn Thái Thiện Thông Tín Văn"
)
VIET_GIVEN_FEMALE = _words(
    "Anh Chi Diệp Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Huệ Hương Lan Liên Linh Loan Ly Mai My Nga Ngân "
    "Ngọc Nhi Nhung Oanh Phương Quỳnh Thảo Thu Thư Thủy Trang Trinh Tuyết Uyên Vân Vy Yến Ánh Bích Cúc Hoài Kim "
    "Lành Mơ Nhàn Thắm Thoa Trâm Xuân"
)
ARAB_MALE = _words(
    "Mohammed Mohammed Mohammed Mohammed Ahmed Ahmed Ali Ali Omar Osman Hassan Hussein Ibrahim Ismail Yusuf "
    "Abdullah Abdelrahman Abdelaziz Abdelkarim Mustafa Khalid Mahmoud Adam Idris Suleiman Salah Saleh Yasin "
    "Hamza Bilal Tariq Karim Said Rashid Jamal Nasser Faisal Hamid Majid Walid Younis Zakaria Anwar Bashir "
    "Elias Issa Musa Haroun Jibril Abbas Jaafar Kamal Adil Amin Badr Fadi Hani Imad Jalal Marwan Nabil Qasim "
    "Rami Sami Talal Wael Yahya Ziad Abubakar Abdelmoneim Elfatih Mutasim Mujahid Osama Hisham Babiker Elsadig "
    "Hamdan Awad Eltayeb Siddig Nasreldin Mubarak Hashim Kabbashi Elnour Abdalla Adam Adam Ali Ahmed"
)
ARAB_FEMALE = _words(
    "Fatima Aisha Mariam Amina Khadija Zainab Hawa Asma Nour Huda Samira Rania Salma Layla Hanan Sara Yasmin "
    "Muna Amal Reem Ilham Nadia Safa Marwa Rasha Nawal Sumaya Hiba Duaa Aya Afaf Ikhlas Intisar Sawsan Tahani Wafa"
)
KURDISH_MALE = _words("Dilshad Kawa Rebwar Shwan Karwan Hemin Aram Azad Dana Sherko Bakhtiyar Soran Hiwa Rebaz")
ARAB_FAMILY = _words(
    "Al-Obeidi Al-Jabouri Al-Dulaimi Al-Tamimi Al-Shammari Al-Hashimi Al-Ani Al-Khafaji Al-Saadi Al-Masri "
    "Al-Ahmad Al-Hassan Al-Ali Al-Khatib Haddad Khoury Nasser Saleh Mansour Hamdan Abbas Aziz Barzani Talabani "
    "Ahmed Mahmoud Hussein Ibrahim Kareem Rashid Qadir Saeed Yousef Omar Farouk Sabri Shukri Darwish Najjar "
    "Sabbagh Kurdi Zaki Fawzi Hamid Abdelaziz Mostafa Shehata Gomaa Fathy Abdallah Ragab Soliman Ismail Karimi "
    "Rahimi Mirza Amin Jaf Zebari Doski Hawrami Baban Sorani"
)
ERITREAN_MALE = _words(
    "Tesfay Yonas Dawit Filmon Robel Samuel Merhawi Mehari Habtom Kibrom Yohannes Amanuel Biniam Efrem Goitom "
    "Haile Isaias Kidane Medhanie Mikael Natnael Senay Teklay Tsegay Tewelde Weldu Yemane Zerai Ghebremeskel "
    "Berhane Abraham Aron Daniel Ermias Fitsum Henok Mussie Nahom Okbay Tedros Sirak Tekle Gebremedhin Gebrehiwet "
    "Woldemichael Afewerki Asmerom Berhe Desta Ghirmay Hagos Kahsay Measho Negash Tesfamariam Weldemariam "
    "Zecarias Araya Andemariam Semere"
)
ERITREAN_FEMALE = _words(
    "Saba Selam Helen Ruta Luwam Yordanos Feven Eden Semhar Hiwet Mebrat Tsega Senait Rahel Winta Freweini Meron "
    "Lidya Almaz Mehret Abeba Adiam Danait Elsa Hanna Kisanet Milena Nebiat Segen Tigist"
)
AFGHAN_MALE = _words(
    "Ahmad Mohammad Mohammad Ali Reza Hamid Hossein Mehdi Javad Farid Jawad Naveed Wahid Zabihullah Rahmatullah "
    "Hekmatullah Ahmadullah Sayed Nasir Bilal Omid Amir Milad Shafiq Najib Habib Zaman Ismail Khalid Rahim Karim "
    "Noorullah Samiullah Mirwais Fawad Zubair Asadullah Hamidullah Sharif Ghulam Baryalai Jamshid Nasrullah Sohail "
    "Wali Yama Zalmai Haroon Farhad Mustafa Idrees Hazrat Lutfullah Obaidullah"
)
AFGHAN_FEMALE = _words(
    "Fatima Maryam Zahra Parisa Nargis Shabnam Farzana Zarghona Mursal Khadija Roya Sima Laila Hosai Mina Nazanin "
    "Freshta Gulalai Madina Shukria"
)
AFGHAN_FAMILY = _words(
    "Ahmadi Mohammadi Rahimi Karimi Hosseini Rezaei Haidari Amiri Jafari Sultani Noori Azizi Safi Popal Stanekzai "
    "Wardak Hashimi Sadat Rasuli Nazari Mirzaei Sharifi Hakimi Yousufzai Durrani Niazi Momand Barakzai Sahak "
    "Habibi Qaderi Faizi Naseri Akbari Samadi Nawabi Zazai Shinwari Ahmadzai Kakar Khan Hotak Mangal Tajik Mohmand"
)
IRANIAN_MALE = _words(
    "Ali Reza Mohammad Hossein Mehdi Amir Saeed Hamid Majid Javad Ebrahim Abbas Omid Babak Arash Kourosh Dariush "
    "Farhad Behnam Pouya Sina Navid Peyman Kamran Nima Siavash Hadi Mojtaba Morteza Mostafa Yousef Vahid Shahram "
    "Payam Ramin Ehsan Hamed Kian Parsa Aria"
)
IRANIAN_FEMALE = _words(
    "Maryam Zahra Fatemeh Sara Narges Leila Mina Parisa Shirin Nazanin Roya Niloufar Elham Azadeh Samira Mahsa "
    "Negar Sepideh Ladan Golnaz"
)
IRANIAN_FAMILY = _words(
    "Mohammadi Hosseini Ahmadi Rezaei Moradi Karimi Jafari Rahimi Heidari Ghasemi Sadeghi Mousavi Kazemi Hashemi "
    "Ebrahimi Rostami Akbari Zare Salehi Habibi Shariati Tehrani Esfahani Shirazi Ghorbani Kamali Nouri Azizi "
    "Bagheri Mahmoudi Hamidi Alavi Amini Yazdani Kiani Farahani Najafi Tabatabaei Karimzadeh Hosseinzadeh Alizadeh "
    "Rahmani Abbasi Soltani Naderi"
)


@dataclass(frozen=True)
class Nationality:
    code: str
    adjective: str
    weight: int
    style: str  # western, vi, zh, patronymic (given + father [+ grandfather]), arabic_family
    faker: str = ""  # a Faker locale whose name lists to sample
    keeps_script: bool = False  # some records keep the original (Cyrillic) spelling


NATIONALITIES = (
    Nationality("GB", "British", 20, "western", "en_GB"),
    Nationality("AL", "Albanian", 12, "western"),
    Nationality("VN", "Vietnamese", 10, "vi"),
    Nationality("RO", "Romanian", 8, "western", "ro_RO"),
    Nationality("PL", "Polish", 5, "western", "pl_PL"),
    Nationality("SD", "Sudanese", 5, "patronymic"),
    Nationality("ER", "Eritrean", 5, "patronymic"),
    Nationality("AF", "Afghan", 4, "western"),
    Nationality("IR", "Iranian", 3, "western"),
    Nationality("IQ", "Iraqi", 3, "arabic_family"),
    Nationality("SY", "Syrian", 2, "arabic_family"),
    Nationality("EG", "Egyptian", 1, "arabic_family"),
    Nationality("IN", "Indian", 4, "western", "en_IN"),
    Nationality("CN", "Chinese", 4, "zh"),
    Nationality("NG", "Nigerian", 4, "western", "yo_NG"),
    Nationality("SK", "Slovak", 2, "western", "sk_SK"),
    Nationality("HU", "Hungarian", 2, "western", "hu_HU"),
    Nationality("BG", "Bulgarian", 2, "western", "bg_BG", keeps_script=True),
    Nationality("UA", "Ukrainian", 2, "western", "uk_UA", keeps_script=True),
    Nationality("LT", "Lithuanian", 1, "western", "lt_LT"),
    Nationality("CZ", "Czech", 1, "western", "cs_CZ"),
    Nationality("TR", "Turkish", 1, "western", "tr_TR"),
)


@dataclass
class NamePools:
    """Per nationality: male and female given names and family names (male, female), as lists to draw from."""

    male: list[list[str]]
    female: list[list[str]]
    family_male: list[list[str]]
    family_female: list[list[str]]


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [name for name, weight in pairs for _ in range(weight)]


def build_name_pools(seed: int) -> NamePools:
    """Faker's lists where it has good ones (sampled, so their weights carry over); ours where it does not."""
    from faker import Faker

    pools = NamePools([], [], [], [])
    for i, nat in enumerate(NATIONALITIES):
        if nat.faker:
            f = Faker(nat.faker)
            f.seed_instance(seed * 1000 + i)
            male = [f.first_name_male() for _ in range(3000)]
            female = [f.first_name_female() for _ in range(3000)]
            fam_m = [f.last_name_male() for _ in range(3000)]
            fam_f = [f.last_name_female() for _ in range(3000)]
        elif nat.code == "AL":
            male, female, fam_m = ALBANIAN_MALE, ALBANIAN_FEMALE, ALBANIAN_FAMILY
            fam_f = fam_m
        elif nat.code == "VN":
            male, female = VIET_GIVEN_MALE, VIET_GIVEN_FEMALE
            fam_m = fam_f = _weighted(VIET_FAMILY)
        elif nat.code == "SD":
            male, female = ARAB_MALE, ARAB_FEMALE
            fam_m = fam_f = ARAB_MALE  # fathers' names
        elif nat.code == "ER":
            male, female = ERITREAN_MALE, ERITREAN_FEMALE
            fam_m = fam_f = ERITREAN_MALE
        elif nat.code == "AF":
            male, female, fam_m = AFGHAN_MALE, AFGHAN_FEMALE, AFGHAN_FAMILY
            fam_f = fam_m
        elif nat.code == "IR":
            male, female, fam_m = IRANIAN_MALE, IRANIAN_FEMALE, IRANIAN_FAMILY
            fam_f = fam_m
        elif nat.code in {"IQ", "SY", "EG"}:
            male = ARAB_MALE + (KURDISH_MALE if nat.code == "IQ" else [])
            female, fam_m = ARAB_FEMALE, ARAB_FAMILY
            fam_f = fam_m
        elif nat.code == "CN":
            from faker.providers.person.zh_CN import Provider

            male = female = ZH_SYLLABLES  # given names are built from one or two syllables
            fam_m = fam_f = list(Provider.last_romanized_names)
        else:  # pragma: no cover - every nationality above has a source
            raise ValueError(nat.code)
        pools.male.append(list(male))
        pools.female.append(list(female))
        pools.family_male.append(list(fam_m))
        pools.family_female.append(list(fam_f))
    return pools


# A name is its parts in the order the person's own language writes them: (text, role).
Part = tuple[str, str]


def _spelling(name: str, rng: random.Random) -> str:
    """One spelling of a name from its variant group, the first ones more often."""
    group = VARIANTS.get(name.lower())
    if group is None:
        return name
    pick = group[min(int(rng.expovariate(1.2)), len(group) - 1)]
    return _case_like(name, pick)


def _case_like(original: str, new: str) -> str:
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return "-".join(p[:1].upper() + p[1:] for p in new.split("-"))
    return new


def make_person(nat_index: int, pools: NamePools, rng: random.Random) -> tuple[Part, ...]:
    nat = NATIONALITIES[nat_index]
    male = rng.random() < 0.62
    given = pools.male[nat_index] if male else pools.female[nat_index]
    family = pools.family_male[nat_index] if male else pools.family_female[nat_index]
    choice = rng.choice
    if nat.style == "vi":
        middle = _weighted(VIET_MIDDLE_MALE if male else VIET_MIDDLE_FEMALE)
        parts: list[Part] = [(choice(family), "family")]
        if rng.random() < 0.92:
            parts.append((choice(middle), "middle"))
        return (*parts, (choice(given), "given"))
    if nat.style == "zh":
        syllables = [choice(given) for _ in range(1 if rng.random() < 0.35 else 2)]
        return ((choice(family), "family"), ("".join(syllables).capitalize(), "given"))
    if nat.style == "patronymic":
        parts = [(_spelling(choice(given), rng), "given"), (_spelling(choice(family), rng), "family")]
        if rng.random() < 0.45:
            parts.append((_spelling(choice(family), rng), "middle"))  # the grandfather, often left out
        return tuple(parts)
    if nat.style == "arabic_family":
        parts = [(_spelling(choice(given), rng), "given")]
        if rng.random() < 0.5:
            parts.append((_spelling(choice(pools.male[nat_index]), rng), "middle"))  # the father
        return (*parts, (_spelling(choice(family), rng), "family"))
    parts = [(_spelling(choice(given), rng), "given")]
    if rng.random() < 0.22:
        second = _spelling(choice(given), rng)
        if second != parts[0][0]:
            parts.append((second, "middle"))
    return (*parts, (_spelling(choice(family), rng), "family"))


def _ascii(text: str) -> str:
    from anyascii import anyascii

    return anyascii(text) if not text.isascii() else text


def _latin(text: str) -> str:
    """Text in another script (Cyrillic) transliterated; Latin letters keep their accents."""
    if text.isascii() or all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text):
        return text
    return _ascii(text)


KEYBOARD = {
    "a": "qswz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wrds",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "uojk",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iplk",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}


def typo(word: str, rng: random.Random) -> str:
    """One keying slip: a neighbouring key, a dropped, doubled or swapped letter; rarely the first letter."""
    n = len(word)
    if n < 3:
        return word
    pos = rng.randrange(1, n) if rng.random() < 0.92 else 0
    op = rng.random()
    ch = word[pos]
    if op < 0.3 and ch.lower() in KEYBOARD:
        new = rng.choice(KEYBOARD[ch.lower()])
        return word[:pos] + (new.upper() if ch.isupper() else new) + word[pos + 1 :]
    if op < 0.55 and n > 3:
        return word[:pos] + word[pos + 1 :]
    if op < 0.8 and pos > 0:
        chars = list(word.lower())
        chars[pos - 1], chars[pos] = chars[pos], chars[pos - 1]
        return _case_like(word, "".join(chars))
    return word[:pos] + ch.lower() + word[pos:]


def transliterate(word: str, rng: random.Random) -> str:
    """Another accepted spelling: a known variant, or one spelling rule of another language."""
    lower = _ascii(word).lower()
    group = VARIANTS.get(lower)
    if group is not None and len(group) > 1:
        return _case_like(word, rng.choice([m for m in group if m != lower]))
    rules = [(a, b) for a, b in TRANSLIT_RULES if a in lower[1:]]
    if not rules:
        return typo(word, rng)
    a, b = rng.choice(rules)
    starts = [i for i in range(1, len(lower)) if lower.startswith(a, i)]
    i = rng.choice(starts)
    return _case_like(word, lower[:i] + b + lower[i + len(a) :])


def _split_token(word: str) -> list[str] | None:
    lower = _ascii(word).lower()
    for prefix in SPLIT_PREFIXES:
        if lower.startswith(prefix) and len(lower) > len(prefix) + 2 and "-" not in lower:
            return [_case_like(word, prefix), _case_like(word, lower[len(prefix) :])]
    for i in range(2, len(lower) - 1):
        if lower[:i] in ZH_SYLLABLES and lower[i:] in ZH_SYLLABLES:
            return [_case_like(word, lower[:i]), _case_like(word, lower[i:])]
    if "-" in word:
        return word.split("-")
    return None


def render(parts: list[Part], *, order: str, keep_script: bool, upper_family: bool, comma: bool) -> str:
    """A name as written: in its own order or the Western one, family name in capitals or first with a comma."""
    if not keep_script:
        parts = [(_latin(t), r) for t, r in parts]
    if upper_family:
        parts = [(t.upper() if r == "family" else t, r) for t, r in parts]
    family = [t for t, r in parts if r == "family"]
    rest = [t for t, r in parts if r != "family"]
    if order == "family_first" and family:
        if comma:
            return f"{' '.join(family)}, {' '.join(rest)}".strip(", ")
        return " ".join(family + rest)
    if order == "western":
        return " ".join(rest + family)
    return " ".join(t for t, _ in parts)


RECORD_OPS = (("typo", 25), ("translit", 25), ("swap", 18), ("drop_middle", 14), ("initial", 8), ("split", 6))
QUERY_OPS = (("typo", 32), ("translit", 30), ("swap", 18), ("drop_middle", 12), ("split", 8))


def variant(
    canonical: tuple[Part, ...], nat: Nationality, rng: random.Random, ops: list[str], *, for_query: bool = False
) -> str:
    """The canonical name with the given kinds of noise applied, written as someone would write it."""
    parts = list(canonical)
    native_family_first = nat.style in {"vi", "zh"}
    order = "native"
    for op in ops:
        if op in {"typo", "translit"}:
            candidates = [i for i, (t, _) in enumerate(parts) if len(t) >= 3]
            if not candidates:
                continue
            i = rng.choice(candidates)
            text, role = parts[i]
            new = typo(text, rng) if op == "typo" else transliterate(text, rng)
            # A known variant may be two words ("abdul rahman").
            parts[i : i + 1] = [(w, role) for w in new.split()] or [(text, role)]
        elif op == "swap":
            order = "western" if native_family_first else "family_first"
        elif op == "drop_middle":
            middles = [i for i, (_, r) in enumerate(parts) if r == "middle"]
            if middles and len(parts) > 2:
                del parts[rng.choice(middles)]
            elif len(parts) > 2:
                del parts[rng.randrange(1, len(parts) - 1)]
        elif op == "initial":
            middles = [i for i, (_, r) in enumerate(parts) if r == "middle"]
            targets = middles or ([i for i, (_, r) in enumerate(parts) if r == "given"] if not for_query else [])
            if targets:
                i = rng.choice(targets)
                text, role = parts[i]
                parts[i] = (_ascii(text)[:1].upper() + ("." if rng.random() < 0.5 else ""), role)
        elif op == "split":
            done = False
            for i, (text, role) in enumerate(parts):
                pieces = _split_token(text)
                if pieces:
                    parts[i : i + 1] = [(p, role) for p in pieces]
                    done = True
                    break
            if not done:
                for i in range(len(parts) - 1):
                    if _ascii(parts[i][0]).lower() in SPLIT_PREFIXES:
                        parts[i : i + 2] = [(parts[i][0] + parts[i + 1][0].lower(), parts[i + 1][1])]
                        done = True
                        break
            if not done:
                candidates = [i for i, (t, _) in enumerate(parts) if len(t) >= 3]
                if candidates:
                    i = rng.choice(candidates)
                    parts[i] = (typo(parts[i][0], rng), parts[i][1])
    keep_script = nat.keeps_script and not for_query and rng.random() < 0.15
    upper_family = not for_query and rng.random() < 0.2
    comma = order == "family_first" and not native_family_first and rng.random() < 0.5
    text = render(parts, order=order, keep_script=keep_script, upper_family=upper_family, comma=comma)
    if for_query and rng.random() < 0.35:
        text = text.lower()
    if not keep_script and rng.random() < (0.5 if for_query else 0.25):
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


def _pick_ops(table: tuple[tuple[str, int], ...], count: int, rng: random.Random) -> list[str]:
    names = [n for n, _ in table]
    weights = [w for _, w in table]
    ops: list[str] = []
    while len(ops) < count:
        op = rng.choices(names, weights)[0]
        if op not in ops:
            ops.append(op)
    return ops


# --- selectors and report texts --------------------------------------------------------------------

SELECTOR_KINDS = ("phone", "vrm", "email", "bank_account")
ENTITY_KIND = {"phone": "phone", "vrm": "vehicle", "email": "email", "bank_account": "bank_account"}
RELATION = {"phone": "uses", "vrm": "uses", "email": "uses", "bank_account": "owns"}
EMAIL_DOMAINS = ("mailbox.example", "inbox.example", "quickmail.example", "postbox.example", "webpost.example")
VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
VRM_AGES = ("15", "65", "16", "66", "17", "67", "18", "68", "19", "69", "20", "70", "21", "71", "22", "72", "23")

PREMISES = (
    "car wash",
    "nail bar",
    "cannabis farm",
    "massage parlour",
    "takeaway",
    "restaurant",
    "farm",
    "factory",
    "warehouse",
    "hotel",
    "construction site",
    "barber shop",
    "packing plant",
    "recycling yard",
    "laundry",
    "salon",
)
TOWNS = _words(
    "London Birmingham Manchester Leeds Liverpool Bristol Sheffield Bradford Leicester Coventry Nottingham Newcastle "
    "Sunderland Wolverhampton Southampton Portsmouth Plymouth Derby Stoke Hull Reading Luton Northampton Norwich "
    "Peterborough Oxford Cambridge Ipswich Swindon Bournemouth Brighton Middlesbrough Blackpool Bolton Rochdale "
    "Oldham Wigan Stockport Preston Blackburn Burnley Huddersfield Wakefield Doncaster Rotherham Barnsley Grimsby "
    "Lincoln Boston Spalding Wisbech Kettering Corby Slough Crawley Basildon Southend Chelmsford Colchester Maidstone "
    "Chatham Gillingham Dover Canterbury Margate Exeter Gloucester Cheltenham Worcester Hereford Telford Shrewsbury "
    "Walsall Dudley Sandwell Solihull Nuneaton Rugby Bedford Watford Stevenage Harlow Enfield Croydon Ilford Romford "
    "Cardiff Swansea Newport Wrexham Glasgow Edinburgh Aberdeen Dundee Belfast Derry Carlisle Lancaster Harrogate "
    "York Scarborough Darlington Hartlepool Gateshead Durham"
)
KEYWORDS = {
    "passports": "Workers say their passports are held by the manager.",
    "debt": "Each worker is said to owe a travel debt that keeps growing.",
    "threats": "There are reports of threats against the workers' families at home.",
    "violence": "One worker was seen with injuries consistent with violence.",
    "cannabis": "A strong smell of cannabis has been reported at the address.",
    "curfew": "The workers appear to be under a curfew and are escorted everywhere.",
    "cuckooing": "The address may be subject to cuckooing by a county lines group.",
    "begging": "Young people are dropped off in the town centre for begging each morning.",
    "shoplifting": "Several of the group have been arrested for shoplifting in the area.",
    "adverts": "Online adverts for massage services list the address.",
    "overcrowding": "Neighbours report overcrowding, with up to ten people sleeping in one room.",
    "mattresses": "Mattresses were seen being delivered to the property.",
    "lorry": "Some of the workers say they arrived in the back of a lorry.",
    "boat": "Some of the workers are believed to have arrived by small boat.",
    "wages": "Wages are withheld for accommodation and transport.",
    "cash": "Large amounts of cash are taken from the premises each week.",
    "drugs": "Drugs are believed to be supplied from the address.",
    "minors": "Some of the workers appear to be minors.",
    "visa": "The workers were promised a visa and legitimate jobs.",
    "tattoo": "Several of the women have the same tattoo, possibly a mark of ownership.",
}
KEYWORD_LIST = tuple(KEYWORDS)
OPENINGS = (
    "{name} is believed to run a {premises} in {town} where several {nat} nationals work long hours for little pay.",
    "Intelligence indicates that {name} collects workers from a {premises} in {town} late at night.",
    "A partner agency reports that {name}, a {nat} national, controls the staff at a {premises} in {town}.",
    "{name} was seen at a {premises} in {town} with a group of young {nat} men.",
    "Officers visited a {premises} in {town} and spoke to {name}, who said they were the manager.",
    "The source states that {name} recruits {nat} workers for a {premises} in {town} and keeps their documents.",
    "Information has been received that {name} is living at an address above a {premises} in {town}.",
    "{name} is reported to be a potential victim working at a {premises} in {town}.",
)
SELECTOR_SENTENCES = {
    "phone": (
        "The mobile {sel} is used to arrange shifts and pick-ups.",
        "Adverts for the work give the number {sel}.",
        "The phone {sel} has been in contact with several of the workers.",
        "Call data puts {sel} near the {premises} most nights.",
    ),
    "vrm": (
        "A vehicle with the registration {sel} is used to move workers between addresses.",
        "ANPR places {sel} in {town} on several nights.",
        "A silver van, registration {sel}, drops the workers off before six in the morning.",
    ),
    "email": (
        "Applicants are told to send their documents to {sel}.",
        "The address {sel} was used to post online adverts.",
        "Messages from {sel} promise work and accommodation in the United Kingdom.",
    ),
    "bank_account": (
        "Wages are paid into sort code and account {sel} and withdrawn in cash the same day.",
        "Rent is taken from the workers and paid into {sel}.",
        "Transfers from several victims went to the account {sel}.",
    ),
}
FILLERS = (
    "The information was passed on by a partner agency.",
    "The source has provided reliable information in the past.",
    "No further details are known at this time.",
    "Local officers have attended the area on two previous occasions.",
    "It is not known how long this has been going on.",
    "Further enquiries are being made with the local authority.",
    "A referral has been considered.",
    "This is one of several similar reports about the area.",
    "The reporting person wishes to remain anonymous.",
)
TEXT_PATTERNS = (
    (("premises",), 10),
    (("town",), 15),
    (("premises", "town"), 30),
    (("keyword",), 10),
    (("keyword", "town"), 15),
    (("nat", "premises"), 10),
    (("premises", "keyword", "town"), 10),
)
SUBJECT_ROLES = (("suspect", 55), ("victim", 30), ("associate", 10), ("witness", 5))
ROLE_INDEX = {role: i for i, (role, _) in enumerate(SUBJECT_ROLES)}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def make_selector(kind: str, canonical: tuple[Part, ...], rng: random.Random) -> tuple[str, str]:
    """(normalised key, the way it is written in the report) for a new selector."""
    if kind == "phone":
        r = rng.random()
        if r < 0.85:  # UK mobiles in ranges libphonenumber accepts
            nsn = "7" + rng.choice("458") + _digits(rng, 8)
            return "+44" + nsn, rng.choice((f"0{nsn[:4]} {nsn[4:]}", f"0{nsn}", f"+44 {nsn[:4]} {nsn[4:]}"))
        if r < 0.9:
            nsn = "80" + _digits(rng, 8)
            return "+234" + nsn, f"+234 {nsn[:3]} {nsn[3:6]} {nsn[6:]}"
        if r < 0.95:
            nsn = "7" + _digits(rng, 6)
            return "+291" + nsn, f"+291 {nsn[0]} {nsn[1:4]} {nsn[4:]}"
        nsn = "13" + _digits(rng, 9)
        return "+86" + nsn, f"+86 {nsn[:3]} {nsn[3:7]} {nsn[7:]}"
    if kind == "vrm":
        letters = "".join(rng.choice(VRM_LETTERS) for _ in range(5))
        key = f"{letters[:2]}{rng.choice(VRM_AGES)}{letters[2:]}"
        return key, rng.choice((f"{key[:4]} {key[4:]}", key, f"{key[:4]} {key[4:]}"))
    if kind == "email":
        tokens = [_ascii(t).lower().replace("'", "").replace("-", "") for t, _ in canonical]
        local = rng.choice((".".join(tokens[:1] + tokens[-1:]), tokens[0] + tokens[-1][:1], tokens[-1] + tokens[0]))
        key = f"{local}{rng.randint(1, 9999)}@{rng.choice(EMAIL_DOMAINS)}"
        return key, key if rng.random() < 0.8 else key.capitalize()
    sort, account = _digits(rng, 6), _digits(rng, 8)
    key = f"{sort}-{account}"
    return key, rng.choice((f"{sort[:2]}-{sort[2:4]}-{sort[4:]} {account}", f"{sort} {account}"))


def selector_query(kind: str, key: str, written: str, rng: random.Random) -> str:
    """The same selector typed another way than the report wrote it."""
    if kind == "phone":
        nsn = key[3:] if key.startswith("+44") else ""
        if nsn:
            options = [
                f"+44 {nsn[:4]} {nsn[4:]}",
                f"0{nsn}",
                f"0{nsn[:4]} {nsn[4:]}",
                f"+44{nsn}",
                f"(0{nsn[:4]}) {nsn[4:]}",
            ]
        else:
            options = [key, key[:4] + " " + key[4:]]
        others = [o for o in options if o != written]
        return rng.choice(others or options)
    if kind == "vrm":
        return rng.choice((key.lower(), f"{key[:4].lower()} {key[4:].lower()}", f"{key[:4]}-{key[4:]}"))
    if kind == "email":
        local, domain = key.split("@")
        return rng.choice((local.capitalize() + "@" + domain.capitalize(), key.upper(), f" {key} "))
    sort, account = key.split("-")
    return rng.choice(
        (
            f"{sort} {account}",
            f"{sort[:2]} {sort[2:4]} {sort[4:]} {account}",
            f"{sort[:2]}.{sort[2:4]}.{sort[4:]} {account}",
        )
    )


# --- the world -----------------------------------------------------------------------------------


@dataclass
class Org:
    code: str
    name: str
    kind: str
    law_enforcement: bool
    weight: float


def organisations() -> list[Org]:
    """About forty: mostly police forces, a few agencies, charities and a council."""
    rng = random.Random("orgs")
    orgs = [Org("bench-force-01", "Benchmark Force 01 Police", OrganisationKind.POLICE_FORCE, True, 4.0)]
    for n in range(2, 35):
        orgs.append(
            Org(
                f"bench-force-{n:02d}",
                f"Benchmark Force {n:02d} Police",
                OrganisationKind.POLICE_FORCE,
                True,
                rng.choice((1.0, 1.5, 2.0, 3.0, 5.0)),
            )
        )
    orgs += [
        Org("bench-agency", "Benchmark Crime Agency", OrganisationKind.LAW_ENFORCEMENT_AGENCY, True, 3.0),
        Org("bench-border", "Benchmark Border Agency", OrganisationKind.LAW_ENFORCEMENT_AGENCY, True, 2.0),
        Org("bench-centre", "Benchmark Trafficking Centre", OrganisationKind.NATIONAL_CENTRE, True, 2.0),
        Org("bench-charity-1", "Benchmark Charity One", OrganisationKind.CHARITY, False, 0.7),
        Org("bench-charity-2", "Benchmark Charity Two", OrganisationKind.CHARITY, False, 0.7),
        Org("bench-council", "Benchmark Council", OrganisationKind.GOVERNMENT, False, 0.5),
    ]
    return orgs


# Sharing groups by the indexes of their members in organisations(); the searching force is in two.
SHARING_GROUPS = (
    ("Benchmark Regional Cell", SharingGroupKind.REGIONAL, (0, 1, 2, 3, 4, 5, 6, 7)),
    ("Benchmark Operation Harbour", SharingGroupKind.OPERATION, (0, 8, 9, 10, 34, 37)),
    ("Benchmark National Group", SharingGroupKind.NATIONAL, (34, 35, 36, *range(11, 21))),
)
DISSEMINATIONS = ("shared", "restricted", "confidential")
DISSEMINATION_WEIGHTS = (55, 30, 15)


@dataclass
class World:
    """Everything generated, in memory: people (the truth), records (one per report) and selectors."""

    reports: int
    seed: int
    # true people
    p_parts: list[tuple[Part, ...]] = field(default_factory=list)
    p_nat: array = field(default_factory=lambda: array("B"))
    p_dob: list[str] = field(default_factory=list)
    p_records: list[list[int]] = field(default_factory=list)
    p_selectors: list[list[int]] = field(default_factory=list)
    # records (= reports = person entities)
    r_person: array = field(default_factory=lambda: array("i"))
    r_name: list[str] = field(default_factory=list)
    r_dob: list[str] = field(default_factory=list)
    r_has_nat: bytearray = field(default_factory=bytearray)
    r_role: bytearray = field(default_factory=bytearray)
    r_selector: array = field(default_factory=lambda: array("i"))
    r_written: list[str] = field(default_factory=list)
    r_org: bytearray = field(default_factory=bytearray)
    r_diss: bytearray = field(default_factory=bytearray)
    r_awaiting: bytearray = field(default_factory=bytearray)
    r_group: array = field(default_factory=lambda: array("b"))
    r_town: array = field(default_factory=lambda: array("H"))
    r_premises: bytearray = field(default_factory=bytearray)
    r_keyword: bytearray = field(default_factory=bytearray)
    r_day: array = field(default_factory=lambda: array("H"))
    # selectors
    s_kind: bytearray = field(default_factory=bytearray)
    s_key: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        return len(self.p_parts)


def _dob(rng: random.Random) -> str:
    year = int(min(2009, max(1955, rng.gauss(1991, 10))))
    start = date(year, 1, 1)
    return (start + timedelta(days=rng.randrange(365))).isoformat()


def _recorded_dob(dob: str, first: bool, rng: random.Random) -> str:
    """What a report says of the date of birth: all of it, part of it, or nothing."""
    r = rng.random()
    if first:
        return dob if r < 0.65 else dob[:7] if r < 0.70 else dob[:4] if r < 0.80 else ""
    if r < 0.40:
        return dob
    if r < 0.45 and int(dob[8:10]) <= 12 and dob[5:7] != dob[8:10]:
        return f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}"  # day and month swapped
    return dob[:4] if r < 0.65 else ""


def generate_world(reports: int, seed: int, orgs: list[Org]) -> World:
    """The people, the records and the selectors, deterministically from the seed."""
    rng = random.Random(f"{seed}:world")
    pools = build_name_pools(seed)
    world = World(reports=reports, seed=seed)
    nat_weights = [n.weight for n in NATIONALITIES]
    nat_cum = [sum(nat_weights[: i + 1]) for i in range(len(nat_weights))]
    org_cum: list[float] = []
    total = 0.0
    for o in orgs:
        total += o.weight
        org_cum.append(total)
    org_groups: dict[int, list[int]] = {}
    for g, (_, _, members) in enumerate(SHARING_GROUPS):
        for m in members:
            org_groups.setdefault(m, []).append(g)
    roles = _weighted(SUBJECT_ROLES)
    town_weights = [1.0 / (i + 4) ** 0.8 for i in range(len(TOWNS))]
    town_cum = [sum(town_weights[: i + 1]) for i in range(len(TOWNS))]
    diss_cum = [55, 85, 100]
    rand = rng.random

    taken: set[str] = set()

    def new_selector(kind: str, canonical: tuple[Part, ...]) -> tuple[int, str]:
        key, written = make_selector(kind, canonical, rng)
        while key in taken:  # selector entities are unique by key
            key, written = make_selector(kind, canonical, rng)
        taken.add(key)
        world.s_kind.append(SELECTOR_KINDS.index(kind))
        world.s_key.append(key)
        return len(world.s_key) - 1, written

    written_of: dict[int, str] = {}
    hot: list[int] = []
    while len(world.r_person) < reports:
        # A true person appears once (70%), twice (20%) or three times (10%).
        copies = 1 if (r := rand()) < 0.7 else 2 if r < 0.9 else 3
        copies = min(copies, reports - len(world.r_person))
        nat_i = bisect.bisect_left(nat_cum, rand() * nat_cum[-1])
        nat = NATIONALITIES[nat_i]
        canonical = make_person(nat_i, pools, rng)
        p = len(world.p_parts)
        world.p_parts.append(canonical)
        world.p_nat.append(nat_i)
        dob = _dob(rng)
        world.p_dob.append(dob)
        own: list[int] = []
        for kind, share in (("phone", 0.75), ("email", 0.3), ("vrm", 0.25), ("bank_account", 0.15)):
            if rand() < share:
                s, written = new_selector(kind, canonical)
                written_of[s] = written
                own.append(s)
        if not own:
            s, written = new_selector("phone", canonical)
            written_of[s] = written
            own.append(s)
        world.p_selectors.append(own)
        records: list[int] = []
        for c in range(copies):
            i = len(world.r_person)
            records.append(i)
            world.r_person.append(p)
            if c == 0:
                ops = ["typo"] if rand() < 0.04 else []
                if rand() < 0.08:
                    ops.append("drop_middle")
            else:
                ops = _pick_ops(RECORD_OPS, 1 if rand() < 0.6 else 2, rng)
            world.r_name.append(variant(canonical, nat, rng, ops))
            world.r_dob.append(_recorded_dob(dob, c == 0, rng))
            world.r_has_nat.append(1 if rand() < 0.85 else 0)
            world.r_role.append(ROLE_INDEX[rng.choice(roles)])
            if hot and rand() < 0.03:  # a number or account many reports mention
                s = rng.choice(hot)
                written = written_of[s]
            elif rand() < 0.1:  # a new burner phone or a one-off account
                s, written = new_selector(rng.choice(SELECTOR_KINDS), canonical)
            else:
                s = rng.choice(own)
                written = written_of[s] if rand() < 0.6 else make_written_again(world, s, rng)
            if len(hot) < 500 and rand() < 0.002:
                hot.append(s)
                written_of.setdefault(s, written)
            world.r_selector.append(s)
            world.r_written.append(written)
            org_i = bisect.bisect_left(org_cum, rand() * total)
            world.r_org.append(org_i)
            world.r_diss.append(bisect.bisect_left(diss_cum, rand() * 100))
            world.r_awaiting.append(1 if rand() < 0.02 else 0)
            groups = org_groups.get(org_i)
            world.r_group.append(rng.choice(groups) if groups and rand() < 0.15 else -1)
            world.r_town.append(bisect.bisect_left(town_cum, rand() * town_cum[-1]))
            world.r_premises.append(rng.randrange(len(PREMISES)))
            world.r_keyword.append(rng.randrange(len(KEYWORD_LIST)))
            world.r_day.append(rng.randrange(730))
        world.p_records.append(records)
    return world


def make_written_again(world: World, s: int, rng: random.Random) -> str:
    """The same selector written the way another officer would."""
    kind = SELECTOR_KINDS[world.s_kind[s]]
    return selector_query(kind, world.s_key[s], "", rng).strip()


def report_text(world: World, i: int, rng: random.Random) -> str:
    p = world.r_person[i]
    nat = NATIONALITIES[world.p_nat[p]]
    premises = PREMISES[world.r_premises[i]]
    town = TOWNS[world.r_town[i]]
    kind = SELECTOR_KINDS[world.s_kind[world.r_selector[i]]]
    sentences = [
        rng.choice(OPENINGS).format(name=world.r_name[i], premises=premises, town=town, nat=nat.adjective),
        rng.choice(SELECTOR_SENTENCES[kind]).format(sel=world.r_written[i], premises=premises, town=town),
        KEYWORDS[KEYWORD_LIST[world.r_keyword[i]]],
    ]
    if rng.random() < 0.4:
        sentences.append(KEYWORDS[rng.choice(KEYWORD_LIST)])
    for _ in range(rng.randint(1, 3)):
        sentences.insert(rng.randint(1, len(sentences)), rng.choice(FILLERS))
    return " ".join(sentences)


# --- loading ---------------------------------------------------------------------------------------

# Tables written here, in the order they are loaded.
REPORT = IntelligenceReport._meta.db_table
LINK = IntelligenceReport.sharing_groups.through._meta.db_table
PERSON_NAME = PersonName._meta.db_table
NAME_KEY = NameKey._meta.db_table


def _table(app_model: str) -> str:
    from django.apps import apps

    return apps.get_model(app_model)._meta.db_table


@dataclass
class Setup:
    user: User
    orgs: list[Organisation]
    groups: list[SharingGroup]
    authors: list[User]


def make_setup() -> Setup:
    """The organisations, sharing groups, one author per organisation and the searching officer."""
    created: list[Organisation] = []
    for o in organisations():
        org, _ = Organisation.objects.get_or_create(
            code=o.code,
            defaults={
                "name": o.name,
                "kind": o.kind,
                "jurisdiction": Jurisdiction.ENGLAND_WALES,
                "is_law_enforcement": o.law_enforcement,
                "contact_point": f"Intelligence bureau, {o.name}",
            },
        )
        created.append(org)
    groups = []
    for name, kind, members in SHARING_GROUPS:
        group, new = SharingGroup.objects.get_or_create(name=name, defaults={"kind": kind})
        if new:
            group.members.set([created[m] for m in members])
        groups.append(group)
    authors = []
    for org in created:
        author, new = User.objects.get_or_create(
            username=f"author.{org.code}", defaults={"organisation": org, "roles": [Role.OFFICER]}
        )
        if new:
            author.set_unusable_password()
            author.save(update_fields=["password"])
        authors.append(author)
    user, new = User.objects.get_or_create(
        username=OFFICER_USERNAME,
        defaults={"organisation": created[0], "roles": [Role.OFFICER], "first_name": "Search", "last_name": "Officer"},
    )
    if new:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user = User.objects.select_related("organisation").get(pk=user.pk)
    return Setup(user=user, orgs=created, groups=groups, authors=authors)


def _has_field(model: Any, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def _secondary_indexes(cursor: Any, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of every index on these tables that no constraint owns."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        [tables],
    )
    return [(r[0], r[1]) for r in cursor.fetchall()]


def load(world: World, setup: Setup, say: Callable[[str], None]) -> dict[str, float]:
    """COPY the world into the benchmark database; secondary indexes are dropped first and built after."""
    timings: dict[str, float] = {}
    entity, statement = _table("entities.Entity"), _table("entities.Statement")
    tables = [REPORT, LINK, entity, statement, PERSON_NAME, NAME_KEY]
    org_ids = [o.pk for o in setup.orgs]
    org_codes = [o.code.upper()[:16] for o in setup.orgs]
    author_ids = [a.pk for a in setup.authors]
    group_ids = [g.pk for g in setup.groups]
    base = datetime(2024, 1, 1, 9, tzinfo=UTC)
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        cur.execute("SET statement_timeout = 0")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        # The generated rows are consistent by construction; checking 7 million foreign keys is not the benchmark.
        cur.execute("SET session_replication_role = replica")
        # Kept in a table of their own, so a load that is interrupted still knows what to build again.
        cur.execute(f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} (name text PRIMARY KEY, definition text NOT NULL)")
        for name, definition in _secondary_indexes(cur, tables):
            cur.execute(f"INSERT INTO {INDEX_TABLE} VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition])  # noqa: S608
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute(f"SELECT name, definition FROM {INDEX_TABLE} ORDER BY name")  # noqa: S608
        indexes = [(r[0], r[1]) for r in cur.fetchall()]
        n = world.reports

        t0 = time.perf_counter()
        text_rng = random.Random(f"{world.seed}:texts")
        columns = (
            "id, reference, organisation_id, author_id, created_at, updated_at, revision, occurred_on, text, "
            "source_evaluation, intelligence_assessment, handling_code, handling_conditions, "
            "handling_conditions_text, classification, exploitation_types, dissemination, review_state, review_date, "
            "grading_model, legacy_grading, source_system, source_reference"
        )
        # The report's own copy of its sharing groups, where the schema has one (the access rule reads it).
        group_column = _has_field(IntelligenceReport, "sharing_group_ids")
        if group_column:
            columns += ", sharing_group_ids"
        exploitation = ("{labour}", "{sexual}", "{criminal}", "{labour,criminal}", "{}")
        group_arrays = {g: f"{{{group_id}}}" for g, group_id in enumerate(group_ids)} | {-1: "{}"}
        with cur.copy(f"COPY {REPORT} ({columns}) FROM STDIN") as copy:
            for i in range(n):
                o = world.r_org[i]
                created = base + timedelta(days=world.r_day[i], seconds=i % 86400)
                awaiting = world.r_awaiting[i]
                copy.write_row(
                    (
                        i + 1,
                        f"{org_codes[o]}-{created.year}-{i + 1:07d}",
                        org_ids[o],
                        author_ids[o],
                        created,
                        created,
                        1,
                        (created - timedelta(days=text_rng.randrange(60))).date(),
                        report_text(world, i, text_rng),
                        "2" if i % 3 else "1",
                        "E" if awaiting else "ABCD"[i % 4],
                        "P",
                        "{}",
                        "",
                        "OFFICIAL",
                        exploitation[i % 5],
                        DISSEMINATIONS[world.r_diss[i]],
                        "awaiting" if awaiting else "not_required",
                        (created + timedelta(days=365 * 6)).date(),
                        "3x5x2",
                        "",
                        "cairn-bench-search",
                        f"bench-search-{i + 1}",
                    )
                    + ((group_arrays[world.r_group[i]],) if group_column else ())
                )
        with cur.copy(f"COPY {LINK} (intelligencereport_id, sharinggroup_id) FROM STDIN") as copy:
            for i in range(n):
                g = world.r_group[i]
                if g >= 0:
                    copy.write_row((i + 1, group_ids[g]))
        timings["reports"] = time.perf_counter() - t0

        # Entities: a person per record (id = record + 1), then the selectors, shared by key.
        t0 = time.perf_counter()
        selector_base = n + 1
        with cur.copy(f"COPY {entity} (id, kind, key, created_at) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((i + 1, "person", None, base))
            for s, key in enumerate(world.s_key):
                copy.write_row((selector_base + s, ENTITY_KIND[SELECTOR_KINDS[world.s_kind[s]]], key, base))
        timings["entities"] = time.perf_counter() - t0

        # Statements as the submission service writes them, and the name index rows as index_person_names does.
        t0 = time.perf_counter()
        name_statement = array("i", bytes(4 * n))
        sid = 0
        roles = [r for r, _ in SUBJECT_ROLES]
        with cur.copy(
            f"COPY {statement} (id, entity_id, report_id, prop, value, value_normalised, role, related_entity_id, "
            "created_at) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for i in range(n):
                report_id = person = i + 1
                name = world.r_name[i]
                key = " ".join(sorted(name_tokens(name)))
                write((sid := sid + 1, person, report_id, "subject", name, key, roles[world.r_role[i]], None, base))
                write((sid := sid + 1, person, report_id, "name", name, key, "", None, base))
                name_statement[i] = sid
                dob = world.r_dob[i]
                if dob:
                    write((sid := sid + 1, person, report_id, "date_of_birth", dob, dob, "", None, base))
                if world.r_has_nat[i]:
                    nat = NATIONALITIES[world.p_nat[world.r_person[i]]].code
                    write((sid := sid + 1, person, report_id, "nationality", nat, nat, "", None, base))
                s = world.r_selector[i]
                sel_entity = selector_base + s
                written, skey = world.r_written[i], world.s_key[s]
                write((sid := sid + 1, sel_entity, report_id, "subject", written, skey, "other", None, base))
                write((sid := sid + 1, sel_entity, report_id, "identifier", written, skey, "", None, base))
                relation = RELATION[SELECTOR_KINDS[world.s_kind[s]]]
                write((sid := sid + 1, person, report_id, relation, "", "", "", sel_entity, base))
        timings["statements"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        with cur.copy(
            f"COPY {PERSON_NAME} (statement_id, entity_id, report_id, name, name_key, tokens, birth_date, birth_year, "
            "nationality) FROM STDIN"
        ) as copy:
            for i in range(n):
                name = world.r_name[i]
                tokens = name_tokens(name)[:12]
                dob = world.r_dob[i]
                nat = NATIONALITIES[world.p_nat[world.r_person[i]]].code if world.r_has_nat[i] else ""
                copy.write_row(
                    (name_statement[i], i + 1, i + 1, name[:500], " ".join(sorted(tokens))[:500], tokens, dob,
                     int(dob[:4]) if dob else None, nat)
                )  # fmt: skip
        timings["person names"] = time.perf_counter() - t0
        cur.execute("SET session_replication_role = DEFAULT")
        # A replica-mode COPY fires no triggers, so the distinct names the name-row triggers would add are added here.
        t0 = time.perf_counter()
        cur.execute(f"INSERT INTO {NAME_KEY} (key) SELECT DISTINCT name_key FROM {PERSON_NAME} ORDER BY 1")  # noqa: S608
        timings["name keys"] = time.perf_counter() - t0

        for table, last in ((REPORT, n), (entity, n + len(world.s_key)), (statement, sid)):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last])
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{LINK}', 'id'), (SELECT coalesce(max(id), 1) FROM {LINK}))")  # noqa: S608
        cur.execute(REFERENCE_SEQUENCES_SQL)
        say(f"  rows copied in {time.perf_counter() - started:,.0f} s; building {len(indexes)} indexes")

        t0 = time.perf_counter()
        for name, definition in indexes:
            t1 = time.perf_counter()
            cur.execute(definition)
            spent = time.perf_counter() - t1
            if spent > 5:
                say(f"    {name}: {spent:,.0f} s")
        cur.execute(f"DROP TABLE {INDEX_TABLE}")
        timings["indexes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for table in tables:
            cur.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum analyze"] = time.perf_counter() - t0
    # COPY queues no arrival task, so the words "did you mean" corrects from are read here, as
    # ``cairn search_words`` would.
    from cairn.search import vocabulary

    t0 = time.perf_counter()
    vocabulary.rebuild()
    timings["vocabulary"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return timings


def load_naive(world: World) -> float:
    """The baseline: one full-name column with a GIN trigram index (and no GiST)."""
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET statement_timeout = 0")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute(f"DROP TABLE IF EXISTS {NAIVE_TABLE}")
        cur.execute(f"CREATE TABLE {NAIVE_TABLE} (id bigint PRIMARY KEY, name text NOT NULL)")
        with cur.copy(f"COPY {NAIVE_TABLE} (id, name) FROM STDIN") as copy:
            for i, name in enumerate(world.r_name):
                copy.write_row((i + 1, name))
        cur.execute(f"CREATE INDEX {NAIVE_TABLE}_trgm ON {NAIVE_TABLE} USING gin (name gin_trgm_ops)")
        cur.execute(f"VACUUM ANALYZE {NAIVE_TABLE}")
    return time.perf_counter() - started


def _loaded(reports: int, seed: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [META_TABLE])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(f"SELECT reports, seed, version FROM {META_TABLE}")  # noqa: S608 - our own table
        return cursor.fetchone() == (reports, seed, FORMAT_VERSION)


def _mark_loaded(reports: int, seed: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
        cursor.execute(f"CREATE TABLE {META_TABLE} (reports integer, seed integer, version integer)")
        cursor.execute(f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s)", [reports, seed, FORMAT_VERSION])  # noqa: S608


def _empty_tables() -> None:
    """A kept database with other figures: empty what this benchmark loads before loading again."""
    tables = [REPORT, LINK, _table("entities.Entity"), _table("entities.Statement"), PERSON_NAME, NAME_KEY]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


# --- queries ----------------------------------------------------------------------------------------


@dataclass
class PersonQuery:
    text: str
    year: int | None
    person: int
    record: int  # the record the query was made from (for "exact record" recall)


@dataclass
class SelectorQuery:
    text: str
    kind: str
    entity_id: int


def visible_entities(user: User) -> set[int]:
    """Person entities the user may see a name of, by the access rule itself, in one query."""
    from cairn.access import intelligence as policy

    qs = policy.rows_visible_to(user, PersonName).order_by().values_list("entity_id", flat=True)
    return set(qs.iterator(chunk_size=50_000))


def person_queries(world: World, count: int, rng: random.Random, visible: set[int]) -> list[PersonQuery]:
    """New noisy variants of random true people with at least one record the user may see."""
    out: list[PersonQuery] = []
    people = world.people
    while len(out) < count:
        p = rng.randrange(people)
        seen = [r for r in world.p_records[p] if r + 1 in visible]
        if not seen:
            continue
        record = rng.choice(seen)
        nat = NATIONALITIES[world.p_nat[p]]
        stored = {world.r_name[r].lower() for r in world.p_records[p]}
        text = ""
        for _ in range(6):
            text = variant(world.p_parts[p], nat, rng, _pick_ops(QUERY_OPS, 1 if rng.random() < 0.6 else 2, rng),
                           for_query=True)  # fmt: skip
            if text.lower() not in stored and name_tokens(text):
                break
        year = int(world.p_dob[p][:4]) if rng.random() < 0.5 else None
        out.append(PersonQuery(text, year, p, record))
    return out


def selector_queries(world: World, count: int, rng: random.Random, visible: set[int]) -> list[SelectorQuery]:
    out: list[SelectorQuery] = []
    n = world.reports
    while len(out) < count:
        i = rng.randrange(n)
        if i + 1 not in visible:  # a report the user may read, so there is something to find
            continue
        s = world.r_selector[i]
        kind = SELECTOR_KINDS[world.s_kind[s]]
        out.append(SelectorQuery(selector_query(kind, world.s_key[s], world.r_written[i], rng), kind, n + 1 + s))
    return out


def text_queries(world: World, count: int, rng: random.Random) -> list[str]:
    """One to three words a report uses: its premises, town, a keyword, a nationality."""
    patterns = [p for p, _ in TEXT_PATTERNS]
    weights = [w for _, w in TEXT_PATTERNS]
    out = []
    for _ in range(count):
        i = rng.randrange(world.reports)
        words = {
            "premises": PREMISES[world.r_premises[i]],
            "town": TOWNS[world.r_town[i]],
            "keyword": KEYWORD_LIST[world.r_keyword[i]],
            "nat": NATIONALITIES[world.p_nat[world.r_person[i]]].adjective,
        }
        out.append(" ".join(words[k] for k in rng.choices(patterns, weights)[0]))
    return out


def ambiguity(world: World, queries: list[PersonQuery], visible: set[int]) -> tuple[float, float]:
    """How crowded the queried names are, and the recall@10 that crowding leaves within reach.

    Returns the share of person queries whose true name (and year, when given) more than ten
    true people share, and the ceiling: the mean over queries of 10 / (the true people the
    searcher may see who share that name and year), at most 1 — what a matcher would reach that
    ranked every query perfectly but, given nothing but the name (and year), could only guess
    among people named alike.
    """
    by_key: Counter[str] = Counter()
    by_key_year: Counter[tuple[str, str]] = Counter()
    keys = []
    for p, parts in enumerate(world.p_parts):
        key = " ".join(sorted(name_tokens(" ".join(t for t, _ in parts))))
        keys.append(key)
        if any(r + 1 in visible for r in world.p_records[p]):
            by_key[key] += 1
            by_key_year[(key, world.p_dob[p][:4])] += 1
    crowded, reach = 0, 0.0
    for q in queries:
        key = keys[q.person]
        shared = max(1, by_key_year[(key, world.p_dob[q.person][:4])] if q.year else by_key[key])
        crowded += shared > 10
        reach += min(1.0, 10 / shared)
    if not queries:
        return 0.0, 1.0
    return crowded / len(queries), reach / len(queries)


# --- timing ------------------------------------------------------------------------------------------


def _rank(q: float, n: int) -> int:
    """The index of the ``q`` quantile among ``n`` sorted values (nearest rank)."""
    return min(n - 1, max(0, math.ceil(q * n) - 1))


@dataclass
class Figures:
    times_ms: list[float] = field(default_factory=list)
    found: int = 0
    exact: int = 0
    counted: int = 0
    timeouts: int = 0
    flags: int = 0

    def percentile(self, q: float) -> float:
        if not self.times_ms:
            return float("nan")
        return sorted(self.times_ms)[_rank(q, len(self.times_ms))]

    def p95_interval(self, resamples: int = 500) -> tuple[float, float]:
        """A 95 % bootstrap interval for the p95: how far another draw of as many queries could put it."""
        if not self.times_ms:
            return float("nan"), float("nan")
        rng = random.Random(0)  # the same interval for the same times, run after run
        n = len(self.times_ms)
        rank = _rank(0.95, n)
        drawn = sorted(sorted(rng.choices(self.times_ms, k=n))[rank] for _ in range(resamples))
        return drawn[int(0.025 * resamples)], drawn[min(resamples - 1, int(0.975 * resamples))]

    def recall_interval(self) -> tuple[float, float] | None:
        """The Wilson score interval (95 %) of recall@10 over the queries counted."""
        if not self.counted:
            return None
        z, n, p = 1.96, self.counted, self.found / self.counted
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def as_dict(self, *, recall: bool, exact: bool) -> dict[str, Any]:
        return {
            "queries": len(self.times_ms),
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "mean_ms": sum(self.times_ms) / len(self.times_ms) if self.times_ms else float("nan"),
            "recall_at_10": self.found / self.counted if recall and self.counted else None,
            "exact_at_10": self.exact / self.counted if exact and self.counted else None,
            "timeouts": self.timeouts,
            "flags": self.flags,
        }


def as_new_request(user: User) -> User:
    """The officer as a new request sees them: a copy, so nothing the access rule caches on it carries over."""
    return copy.copy(user)


def _timed(call: Callable[[], Any]) -> tuple[float, Any, bool]:
    """Milliseconds the caller waits, the result, and whether the search's own time limit stopped it."""
    from django.db.utils import OperationalError

    from cairn.search.selectors import SearchInputError

    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # As search() does: no search holds a connection for long, whatever was typed.
            cursor.execute(f"SET LOCAL statement_timeout = {TIMEOUT_MS}")
            result = call()
    except OperationalError as exc:
        if "statement timeout" not in str(exc):
            raise
        return (time.perf_counter() - started) * 1000, None, True
    except SearchInputError:
        # search() itself turns its time limit into a message for the searcher: a timeout here.
        return (time.perf_counter() - started) * 1000, None, True
    return (time.perf_counter() - started) * 1000, result, False


def run_person(
    queries: list[PersonQuery], world: World, user: User, visible: set[int], say: Callable[[str], None]
) -> dict[str, Figures]:
    from cairn.search.selectors import search_people

    ruled, free, naive = Figures(), Figures(), Figures()
    naive_sql = f"SELECT id FROM {NAIVE_TABLE} WHERE name %% %s ORDER BY similarity(name, %s) DESC LIMIT 10"  # noqa: S608

    def people(q: PersonQuery, unrestricted: bool) -> Any:
        # As search() passes a typed year: the range filters, the year itself scores.
        dob, year_range = (str(q.year), (q.year, q.year)) if q.year else ("", None)
        # Without the rule there is no one to apply it to: no flags, and no report details through the rule.
        actor = None if unrestricted else as_new_request(user)
        return search_people(
            actor=actor, name=q.text, dob=dob, year_range=year_range, limit=10, unrestricted=unrestricted
        )

    def naive_search(q: PersonQuery) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(naive_sql, [q.text, q.text])
            return [r[0] for r in cursor.fetchall()]

    step = max(1, len(queries) // 10)
    for n, q in enumerate(queries):
        truth = {r + 1 for r in world.p_records[q.person]}
        runs: list[tuple[str, Callable[[], Any]]] = [
            ("ruled", partial(people, q, False)),
            ("free", partial(people, q, True)),
            ("naive", partial(naive_search, q)),
        ]
        if n % 2:  # alternate the order, so neither run always finds the pages warm from the other
            runs.reverse()
        for label, call in runs:
            ms, result, timed_out = _timed(call)
            figures = {"ruled": ruled, "free": free, "naive": naive}[label]
            figures.times_ms.append(ms)
            figures.counted += 1
            figures.timeouts += timed_out
            if result is None:
                continue
            if label == "naive":
                ids = set(result)
            else:
                hits, flags = result
                ids = {h.entity_id for h in hits[:10]}
                figures.flags += len(flags)
            wanted = truth & visible if label == "ruled" else truth
            figures.found += bool(ids & wanted)
            figures.exact += (q.record + 1) in ids
        if (n + 1) % step == 0:
            say(f"    person queries: {n + 1:,}/{len(queries):,}")
    return {"ruled": ruled, "free": free, "naive": naive}


def tie_ceiling(queries: list[PersonQuery], world: World, user: User, visible: set[int], depth: int = 100) -> float:
    """Recall@10 had every result shown with the true record's score been ranked below it (untimed).

    The order's own ceiling: what breaking ties differently could reach, the scores left as they are.
    A true record among the first ``depth`` results is found if fewer than ten other records score
    more than its best; one not among them is not found (``depth`` others score at least as much).
    Scores are compared as shown (rounded to three places, held to 0..1), so near ties count as ties.
    """
    from cairn.search.selectors import search_people

    found = 0
    for q in queries:
        truth = {r + 1 for r in world.p_records[q.person]} & visible
        dob, year_range = (str(q.year), (q.year, q.year)) if q.year else ("", None)
        call = partial(
            search_people, actor=as_new_request(user), name=q.text, dob=dob, year_range=year_range, limit=depth
        )
        _, result, _ = _timed(call)
        if result is None:
            continue
        hits, _ = result
        scores = [h.score for h in hits if h.entity_id in truth]
        if scores:
            best = max(scores)
            found += sum(h.score > best for h in hits if h.entity_id not in truth) < 10
    return found / len(queries) if queries else 1.0


def run_selectors(queries: list[SelectorQuery], user: User) -> dict[str, Figures]:
    from cairn.search.choices import QueryKind
    from cairn.search.selectors import SearchInputError, search_selector, understand

    ruled, free = Figures(), Figures()

    def find(q: SelectorQuery, unrestricted: bool) -> Any:
        try:
            _, selector, value = understand(q.text.strip(), QueryKind.SELECTOR)
        except SearchInputError:
            return [], []
        actor = None if unrestricted else as_new_request(user)
        return search_selector(actor=actor, selector=selector, value=value, unrestricted=unrestricted)

    for n, q in enumerate(queries):
        runs = [(ruled, False), (free, True)]
        if n % 2:
            runs.reverse()
        for figures, unrestricted in runs:
            ms, result, timed_out = _timed(partial(find, q, unrestricted))
            figures.times_ms.append(ms)
            figures.counted += 1
            figures.timeouts += timed_out
            if result is not None:
                hits, flags = result
                figures.found += any(h.entity_id == q.entity_id for h in hits)
                figures.flags += len(flags)
    return {"ruled": ruled, "free": free}


def run_text(queries: list[str], user: User) -> dict[str, Figures]:
    from cairn.search.selectors import search_text

    ruled, free = Figures(), Figures()
    for n, q in enumerate(queries):
        runs = [(ruled, False), (free, True)]
        if n % 2:
            runs.reverse()
        for figures, unrestricted in runs:
            actor = None if unrestricted else as_new_request(user)
            ms, result, timed_out = _timed(partial(search_text, actor=actor, text=q, unrestricted=unrestricted))
            figures.times_ms.append(ms)
            figures.counted += 1
            figures.timeouts += timed_out
            if result is not None:
                figures.found += bool(result[0])
    return {"ruled": ruled, "free": free}


def misspelt_queries(queries: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """(misspelt, meant): the longest word of a text query with two neighbouring letters swapped.

    A swap that leaves the word as it was ('liverpool') or makes another word of the vocabulary
    still counts: "did you mean" is then right to stay silent, and the query is not found.
    """
    out = []
    for query in queries:
        words = query.lower().split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        i = rng.randrange(1, max(2, len(word) - 1))
        words[longest] = word[:i] + word[i + 1 : i + 2] + word[i] + word[i + 2 :]
        out.append((" ".join(words), query.lower()))
    return out


def run_misspelt(queries: list[tuple[str, str]], user: User) -> Figures:
    """A search of words as the page runs it (``search``): nothing found, then "did you mean"."""
    from cairn.search.selectors import search

    figures = Figures()
    for misspelt, meant in queries:
        ms, result, timed_out = _timed(partial(search, actor=as_new_request(user), query=misspelt, kind="text"))
        figures.times_ms.append(ms)
        figures.counted += 1
        figures.timeouts += timed_out
        if result is not None:
            figures.found += result.did_you_mean == meant
    return figures


# --- the entry point ----------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def run(
    *,
    reports: int = DEFAULT_REPORTS,
    queries: int = DEFAULT_QUERIES,
    seed: int = DEFAULT_SEED,
    keep: bool = False,
    out: TextIO = sys.stdout,
    database: str | None = None,
) -> dict[str, Any]:
    """Build the benchmark database, run the searches, print the table and return the figures.

    ``database`` names the benchmark database (``cairn_bench`` or ``cairn_bench_<n>``); by default
    ``cairn.bench.database`` chooses. With ``keep`` the database is left behind, and a later run with
    the same reports and seed reuses its rows instead of loading them again.
    """
    from cairn.bench.database import bench_database

    if reports < 10 or queries < 1:
        raise ValueError("the search benchmark needs at least 10 reports and 1 query")

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    with bench_database(name=database, keep=keep) as db:
        say(f"cairn bench search: database {db.name}{' (reused)' if db.reused else ''}, PostgreSQL {db.version}")
        setup = make_setup()
        t0 = time.perf_counter()
        world = generate_world(reports, seed, organisations())
        generated_s = time.perf_counter() - t0
        say(
            f"  generated {reports:,} person records of {world.people:,} true people and "
            f"{len(world.s_key):,} selectors in {generated_s:,.0f} s"
        )
        load_timings: dict[str, float] = {}
        if db.reused and _loaded(reports, seed):
            say("  rows kept from an earlier run with the same reports and seed")
        else:
            if db.reused:
                _empty_tables()
            load_timings = load(world, setup, say)
            load_timings["naive baseline"] = load_naive(world)
            _mark_loaded(reports, seed)
            parts = ", ".join(f"{k} {v:,.0f} s" for k, v in load_timings.items() if k != "total")
            say(f"  loaded with COPY in {load_timings['total'] + load_timings['naive baseline']:,.0f} s ({parts})")

        user = setup.user
        visible = visible_entities(as_new_request(user))
        say(f"  {user.username} ({user.organisation.name}) may read {len(visible) / reports:.0%} of the person records")
        rng = random.Random(f"{seed}:queries")
        warm = min(50, queries)
        p_queries = person_queries(world, queries + warm, rng, visible)
        s_queries = selector_queries(world, queries + warm, rng, visible)
        t_queries = text_queries(world, queries + warm, rng)
        m_queries = misspelt_queries(t_queries, rng)
        crowded, ceiling = ambiguity(world, p_queries[warm:], visible)

        with connection.cursor() as cursor:
            cursor.execute("SET pg_trgm.similarity_threshold = 0.3")
        say(f"  warming up ({warm} queries of each kind)")
        quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
        run_person(p_queries[:warm], world, user, visible, quiet)
        run_selectors(s_queries[:warm], user)
        run_text(t_queries[:warm], user)
        run_misspelt(m_queries[:warm], user)

        t0 = time.perf_counter()
        person = run_person(p_queries[warm:], world, user, visible, say)
        selector = run_selectors(s_queries[warm:], user)
        text = run_text(t_queries[warm:], user)
        measured_s = time.perf_counter() - t0
        misspelt = run_misspelt(m_queries[warm:], user)
        ties = tie_ceiling(p_queries[warm:], world, user, visible)

    rows = [
        ("person (access rule)", person["ruled"], True, True, f"p95 ≤ {TARGETS['person_p95']:.0f}, recall ≥ 0.95"),
        ("person (no access rule)", person["free"], True, True, ""),
        ("naive trigram baseline", person["naive"], True, True, ""),
        ("selector (access rule)", selector["ruled"], True, False, f"p95 ≤ {TARGETS['selector_p95']:.0f}"),
        ("selector (no access rule)", selector["free"], True, False, ""),
        ("free text (access rule)", text["ruled"], False, False, f"p95 ≤ {TARGETS['text_p95']:.0f}"),
        ("free text (no access rule)", text["free"], False, False, ""),
        ("misspelt (did you mean)", misspelt, True, False, "recall: the words meant offered"),
    ]

    def overhead(pair: dict[str, Figures], q: float) -> float:
        free = pair["free"].percentile(q)
        return pair["ruled"].percentile(q) / free - 1 if free else float("nan")

    say()
    say(
        f"cairn bench search: {reports:,} reports, {reports:,} person records ({world.people:,} true people), "
        f"PostgreSQL {db.version}"
    )
    say(f"{'kind':<28}{'p50 ms':>8}{'p95 ms':>9}{'p99 ms':>9}{'recall@10':>11}{'exact@10':>10}   target")
    result_kinds: dict[str, Any] = {}
    for label, figures, recall, exact, target in rows:
        d = figures.as_dict(recall=recall, exact=exact)
        result_kinds[label] = d
        say(
            f"{label:<28}{_fmt(d['p50_ms']):>8}{_fmt(d['p95_ms']):>9}{_fmt(d['p99_ms']):>9}"
            f"{_fmt(d['recall_at_10'], 3):>11}{_fmt(d['exact_at_10'], 3):>10}   {target}"
        )
    overheads = {
        "person": overhead(person, 0.95),
        "selector": overhead(selector, 0.95),
        "text": overhead(text, 0.95),
    }
    overheads_p50 = {
        "person": overhead(person, 0.5),
        "selector": overhead(selector, 0.5),
        "text": overhead(text, 0.5),
    }
    # The targets are judged on the figures above; these say how much they would move with another
    # draw of as many queries (the same data, the same machine).
    person_figures = person["ruled"]
    p95_low, p95_high = person_figures.p95_interval()
    recall_interval = person_figures.recall_interval()
    result_kinds["person (access rule)"]["p95_interval_ms"] = (p95_low, p95_high)
    result_kinds["person (access rule)"]["recall_interval"] = recall_interval
    recall_low, recall_high = recall_interval or (None, None)
    say(
        f"sampling error over {person_figures.counted:,} person queries (95 %): "
        f"p95 {_fmt(p95_low)}–{_fmt(p95_high)} ms (bootstrap), "
        f"recall@10 {_fmt(recall_low, 3)}–{_fmt(recall_high, 3)} (Wilson)"
    )
    say(
        "access rule overhead (p95): "
        + ", ".join(f"{k} {v:+.0%}" for k, v in overheads.items())
        + f"  (target ≤ {TARGETS['overhead']:.0%}); at p50: "
        + ", ".join(f"{k} {v:+.0%}" for k, v in overheads_p50.items())
    )
    timeouts = sum(f.timeouts for _, f, *_ in rows)
    say(
        f"queries: {queries:,} of each kind after {warm} to warm up, {measured_s:,.0f} s; "
        f"person queries with a year of birth: {sum(q.year is not None for q in p_queries[warm:]):,}; "
        f"whose true name (and year) more than 10 true people the officer may see share: {crowded:.1%} "
        f"(recall@10 within reach of a perfect ranker that can only guess among them: {ceiling:.3f}); "
        f"timeouts ({TIMEOUT_MS:,} ms): {timeouts}"
    )
    say(
        f"person recall@10 had every result scored alike with the true record been ranked below it: {ties:.3f} "
        "(the most a different breaking of ties could reach with these scores)"
    )
    ruled_person = result_kinds["person (access rule)"]
    met = {
        "person_p95": ruled_person["p95_ms"] <= TARGETS["person_p95"],
        "person_recall": (ruled_person["recall_at_10"] or 0) >= TARGETS["person_recall"],
        "selector_p95": result_kinds["selector (access rule)"]["p95_ms"] <= TARGETS["selector_p95"],
        "text_p95": result_kinds["free text (access rule)"]["p95_ms"] <= TARGETS["text_p95"],
        "overhead": all(v <= TARGETS["overhead"] for v in overheads.values()),
    }
    say("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return {
        "reports": reports,
        "person_records": reports,
        "true_people": world.people,
        "selectors": len(world.s_key),
        "postgresql": db.version,
        "database": db.name,
        "queries": queries,
        "generate_seconds": generated_s,
        "load_seconds": load_timings,
        "visible_share": len(visible) / reports,
        "crowded_names": crowded,
        "recall_ceiling": ceiling,
        "tie_ceiling": ties,
        "kinds": result_kinds,
        "overhead_p95": overheads,
        "overhead_p50": overheads_p50,
        "targets_met": met,
    }
