"""Propose the subjects of an intelligence report from its free text.

Extraction only suggests: the officer accepts, edits or drops each candidate before anything is
saved, so the aim is high recall on selectors (phones, accounts, plates...) with few false alarms,
and cautious, lower-confidence guesses for people's names. It must never fail a report: any input,
however odd, gives a (possibly empty) list.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate

import ahocorasick
import phonenumbers

from cairn.entities.normalise import (
    POSTCODE_OUTWARD,
    NormaliseError,
    SelectorKind,
    is_fictional_gb,
    name_key,
    name_tokens,
    normalise_address,
    normalise_bank_account,
    normalise_document,
    normalise_email,
    normalise_iban,
    normalise_postcode,
    normalise_url,
    normalise_vrm,
)

log = logging.getLogger(__name__)

HEURISTIC_NAME_CONFIDENCE = 0.6
WEAK_NAME_CONFIDENCE = 0.5  # one word after a cue, or a name written all in capitals
ADDRESS_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Candidate:
    """A proposed subject: where it is in the text and its normalised value."""

    kind: str  # a SelectorKind value
    text: str  # exactly as it appears in the text
    start: int  # character offsets into the text
    end: int
    value: str  # normalised (per normalise.py)
    known_entity_id: int | None = None  # set by NameMatcher hits
    confidence: float = 1.0


# --- known names -----------------------------------------------------------------------------------

# A word with its combining marks (decomposed 'ễ') and inner apostrophes (O'Brien), but not a possessive 's.
_WORD_CHUNK = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+(?:['’`](?![sS]\b)(?:[^\W_]|[\u0300-\u036f])+)*")


_ASCII_CHUNK = re.compile(r"[a-z0-9]+(?:['`](?!s\b)[a-z0-9]+)*")  # the same words, in lower-cased ASCII text


def _folded_words(text: str) -> tuple[list[str], list[tuple[int, int]] | None]:
    """The text's words folded as name_tokens() folds a name, and each word's span (None: ask _ascii_spans)."""
    if text.isascii():
        # The common case, done in C: no transliteration, and spans are only needed when a name is found.
        words = _ASCII_CHUNK.findall(text.lower())
        if "'" in text or "`" in text:
            words = [w.replace("'", "").replace("`", "") for w in words]
        return words, None
    words = []
    spans: list[tuple[int, int]] = []
    for m in _WORD_CHUNK.finditer(text):
        chunk = m.group()
        folded = [chunk.lower().replace("'", "").replace("`", "")] if chunk.isascii() else name_tokens(chunk)
        words.extend(folded)
        spans.extend([m.span()] * len(folded))
    return words, spans


def _ascii_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _ASCII_CHUNK.finditer(text.lower())]


def _orders(tokens: list[str]) -> set[tuple[str, ...]]:
    # Family names are written first or last depending on who wrote the report
    # ('Mai NGUYEN', 'NGUYEN Mai'), so index the rotations as well.
    return {tuple(tokens), tuple(tokens[-1:] + tokens[:-1]), tuple(tokens[1:] + tokens[:1])}


class NameMatcher:
    """Finds names of entities already in the database, fast, with Aho-Corasick (pyahocorasick).

    Matching is on whole words, ignoring case, diacritics and punctuation, and accepts the name's
    words rotated (family name first or last). Single-word names are not indexed: on their own they
    match ordinary words ('Rose', 'An') far more often than people.
    """

    def __init__(self, names: Iterable[tuple[str, int]]) -> None:
        index: dict[str, set[int]] = {}
        for display, entity_id in names:
            tokens = name_tokens(display)
            if len(tokens) < 2:
                continue
            for order in _orders(tokens):
                index.setdefault(" " + " ".join(order) + " ", set()).add(entity_id)
        self._automaton = ahocorasick.Automaton()
        for key, ids in index.items():
            self._automaton.add_word(key, (len(key), tuple(sorted(ids))))
        self._size = len(index)
        if self._size:
            self._automaton.make_automaton()

    def __bool__(self) -> bool:
        return self._size > 0

    def find(self, text: str) -> list[Candidate]:
        """One candidate per (mention, entity): two entities sharing a name both come back."""
        if not self._size or not text:
            return []
        words, spans = _folded_words(text)
        # Words joined by single spaces, padded, so every pattern ' a b ' can only match whole words.
        matches = list(self._automaton.iter(" " + " ".join(words) + " "))
        if not matches:
            return []
        if spans is None:
            spans = _ascii_spans(text)
        offsets = list(accumulate((len(w) for w in words), lambda at, size: at + size + 1, initial=1))
        hits: list[tuple[int, int, tuple[int, ...]]] = []
        for end_index, (length, ids) in matches:
            first = bisect.bisect_left(offsets, end_index - length + 2)
            last = bisect.bisect_right(offsets, end_index - 1) - 1
            hits.append((first, last, ids))
        # Longest first, then leftmost; a shorter known name inside a longer one is not a separate mention.
        hits.sort(key=lambda h: (h[0] - h[1], h[0]))
        taken: set[int] = set()
        found: list[Candidate] = []
        for first, last, ids in hits:
            span = range(first, last + 1)
            if any(i in taken for i in span):
                continue
            taken.update(span)
            start, end = spans[first][0], spans[last][1]
            raw = text[start:end]
            value = name_key(raw)
            found.extend(
                Candidate(SelectorKind.PERSON_NAME.value, raw, start, end, value, known_entity_id=entity_id)
                for entity_id in ids
            )
        found.sort(key=lambda c: c.start)
        return found


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# --- selector patterns -----------------------------------------------------------------------------

# Spans that could hold a phone number (seven digits or more, with the usual separators). Running
# phonenumbers on these alone, instead of the whole text, keeps extraction fast on digit-heavy reports.
_PHONE_RUN = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d")
_FICTIONAL_HINT = re.compile(r"7[ \-]?7[ \-]?0[ \-]?0[ \-)]*9|1[ \-]?6[ \-]?3[ \-]?2[ \-)]*9|1[ \-]?1[ \-]?5[ \-)]*4")
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w\-])"
)

# Plates: only the dated formats, which mix letters and digits in a fixed shape; dateless marks
# ('ABC 123') look too much like ordinary text. Lower-case is accepted only for the current format.
_VRM_CURRENT = re.compile(r"\b[A-HJ-PR-Y]{2}[0-9]{2} ?[A-HJ-PR-Z]{3}\b|\b[a-hj-pr-y]{2}[0-9]{2} ?[a-hj-pr-z]{3}\b")
_VRM_PREFIX = re.compile(r"\b[A-HJ-NPR-Y][0-9]{1,3} ?[A-HJ-PR-Y][A-HJ-PR-Z]{2}\b")
_VRM_SUFFIX = re.compile(r"\b[A-HJ-PR-Y][A-HJ-PR-Z]{2} ?[0-9]{1,3}[A-HJ-NPR-Y]\b")
_VRM_NORTHERN_IRELAND = re.compile(r"\b[A-HJ-PR-Y](?:[A-HJ-PR-Y]Z|I[ABGJLW]|[JOUX]I) ?[0-9]{1,4}\b")
# Three-letter words that make 'A1 THE' or 'WAS 12A' look like a plate in upper-case reports.
_VRM_WORDS = _words(
    "THE AND FOR WAS ARE NOT BUT YOU ALL ANY CAN HAD HAS HER OUR OUT DAY GET HOW MAN NEW NOW OLD SEE TWO WAY "
    "WHO BOY LET PUT SAY SHE TOO USE VIA OFF AGE AGO ASK BAD BED BUY CAR VAN BUS CAB DOB MRS REF TEL FAX MOB "
    "WAY YES PER APR MAR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JAN FEB MON TUE WED THU FRI SAT SUN"
)

_POSTCODE = re.compile(rf"\b{POSTCODE_OUTWARD} ?[0-9][A-Z]{{2}}\b", re.I)

_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.I)

_SORT = r"(\d{2}[ .\-]?\d{2}[ .\-]?\d{2})(?![\d])"
_ACC = r"(\d{7,8})(?![\d\-])"
_ACC_WORD = r"(?:account|acct|acc|a/c)(?:[ \t]*(?:no\.?|number|num))?"
_BANK_LABELLED = re.compile(
    rf"\bsort[ \t]*code\b[ \t:.\-]*{_SORT}[ \t,;]*(?:(?:and[ \t]+)?{_ACC_WORD}\b)?[ \t:.#]*{_ACC}", re.I
)
_BANK_REVERSED = re.compile(
    rf"\b{_ACC_WORD}[ \t:.#]*{_ACC}[ \t,;]*(?:and[ \t]+)?(?:with[ \t]+)?sort[ \t]*code\b[ \t:.\-]*{_SORT}", re.I
)
_BANK_BARE = re.compile(r"(?<![\d\-])(\d{2}-\d{2}-\d{2})[ \t]+(\d{7,8})(?![\d\-])")

_DOCUMENT = re.compile(
    r"\b(?:passport|(?:national[ \t]+)?id(?:entity)?[ \t]*card|(?:driving[ \t]+)?licen[cs]e|document|"
    r"residence[ \t]+permit|brp|visa|id(?=[ \t]*(?:no\b|number|num|#|:)))\b"
    r"(?:[ \t]*(?:no\b\.?|number|num|#))?[ \t]*[:#]?[ \t]*(?:is[ \t]+)?"
    r"([A-Z0-9](?:[A-Z0-9\-]*[A-Z0-9])?(?: [0-9]{2,})*)(?![\w\-])",
    re.I,
)

_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.I)
_BARE_URL = re.compile(
    r"(?<![@\w.\-/])(?:(?:www\.)?(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d{1,5})?/[^\s<>\"'`]*"
    r"|www\.(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}\b)",
    re.I,
)

_STREET_TYPES = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Place|Pl|Crescent|Court|Ct|Gardens|Gdns|Terrace|"
    r"Grove|Hill|Park|Square|Sq|Mews|Row|Walk|Parade|Green|Rise|Vale|View|Yard|Wharf|Broadway|Boulevard|Gate|"
    r"Quay|Embankment|Circus|Estate|Crossing"
)
_CAP_WORD = r"[A-Z][a-zA-Z]*(?:['’\-][A-Za-z]+)*"
# The house number and street. The pattern starts with a digit and checks the word boundary after it
# (the lookbehind), so the regex engine skips straight from digit to digit instead of trying every position.
_ADDRESS = re.compile(
    rf"[0-9](?<!\w.)[0-9]{{0,3}}[A-Za-z]?(?:[\-–][0-9]{{1,4}}[A-Za-z]?)?,?[ \t]+"
    rf"(?:{_CAP_WORD}[ \t]+){{1,3}}(?i:{_STREET_TYPES})\b"
)
# A flat or unit written just before the house number, looked for only where a street was found.
_ADDRESS_FLAT = re.compile(r"\b(?:Flat|Apartment|Apt|Unit|Room)[ \t]+[A-Za-z0-9]{1,5},?[ \t]+\Z")
# After the street, the town and a postcode on the same line, if the postcode is there.
_ADDRESS_TAIL = re.compile(rf"(?:,?[ \t]+{_CAP_WORD}){{0,4}}?,?[ \t]+{POSTCODE_OUTWARD} ?[0-9][A-Z]{{2}}\b")


# --- heuristic names -------------------------------------------------------------------------------

_LETTERS = r"(?:[^\W\d_]|[\u0300-\u036f])+"  # letters with their combining marks (decomposed 'ễ')
_NAME_WORD = re.compile(rf"{_LETTERS}(?:['’\-]{_LETTERS})*")
_CAPISH_WORD = re.compile(rf"(?<![\w\u0300-\u036f'’\-])(?![a-z]){_LETTERS}(?:['’\-]{_LETTERS})*")
NAME_PARTICLES = _words("van von der den de del della di da dos das du la le bin binti bint ibn al el ter ten y")
_NAME_GAP = re.compile(rf"[ \t]+(?:(?:{'|'.join(sorted(NAME_PARTICLES))})[ \t]+){{0,2}}")
_NEXT_WORD = re.compile(rf"[ \t]+({_LETTERS})")
_THE_BEFORE = re.compile(r"\bthe[ \t]+$", re.I)
_TOWN_BEFORE = re.compile(rf"(?:\b[A-Z]{_LETTERS}[ \t,]+){{1,3}}$")
# Cues that the next capitalised word(s) name a person, even at the start of a sentence.
_NAME_CUE = re.compile(
    r"(?:\b(?:named|called|known[ \t]+as|aka|a\.k\.a\.?|alias|nicknamed|nickname|"
    r"names?[ \t]+(?:is|was)|name[ \t]*:)|\b(?:mr|mrs|ms|miss|mx|dr)\b\.?)[ \t:\"'“‘]*$",
    re.I,
)
# Words after which capitalised words are an organisation or place, not a person.
_ORG_WORDS = _words(
    """ltd limited plc llp llc inc co company group holdings enterprises trading traders international global
    bank building society agency agencies recruitment staffing solutions bar nail nails salon spa beauty massage
    sauna parlour car wash hand valet valeting hotel motel inn hostel restaurant takeaway cafe café kitchen shop
    store stores market supermarket mart farm farms factory warehouse laundry pub club lounge studio studios centre
    center house tower plaza mall arcade garage motors tyres barbers barber hair police council"""
)
NAME_STOP_WORDS = _ORG_WORDS | _words(
    """a an the and or but nor on in at to from by for with of as into onto over under after before during while
    when where who whom whose which what why how he she they we i it you his her hers their them him our my your its
    this that these those there then here also both all any some no not yes if so than via per re cc nb ps
    dob aka tel mob ref email e-mail phone mobile telephone number account sort code iban bic swift passport
    licence license document id card advert ad profile website url link vehicle
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    mr mrs ms miss mx dr sir madam lord lady
    officer officers constable pc dc ds di dci dcs sgt sergeant inspector detective superintendent chief nca hmrc
    ukvi dwp glaa gla uk ukhtc mash nrm cps court crown magistrates borough county city town village district
    region force constabulary unit team squad department dept ministry home office border immigration enforcement
    national crime service services authority government embassy consulate trust nhs hospital clinic surgery
    school college university church mosque temple gurdwara station airport port harbour prison hmp
    street st road rd avenue ave lane ln close drive way place crescent gardens terrace grove hill park square
    mews row walk parade green rise vale view yard wharf broadway boulevard gate quay estate industrial high
    north south east west upper lower new old great little
    british english scottish welsh irish vietnamese albanian romanian polish chinese nigerian eritrean sudanese
    afghan iranian iraqi kurdish indian pakistani bangladeshi filipino thai slovak czech bulgarian lithuanian
    latvian hungarian ukrainian russian european asian african britain england scotland wales ireland vietnam
    albania romania poland china nigeria london
    audi bmw mercedes benz ford vauxhall volkswagen vw toyota honda nissan kia hyundai peugeot renault citroen
    fiat skoda seat volvo mazda tesla lexus jaguar land rover range mini transit sprinter golf corsa fiesta focus
    prius
    report intelligence subject subjects suspect suspects victim victims witness male female man woman boy girl
    person persons people child children adult note notes source operation op update information intel grading
    handling visit visited premises address location payment payments money cash transfer reference case date
    time today yesterday tomorrow morning evening night afternoon later earlier recently currently previously
    further however meanwhile additionally approximately around about unknown nfa tbc please thanks regards
    whatsapp facebook instagram telegram snapchat tiktok google gmail hotmail outlook yahoo
    modern slavery trafficking exploitation helpline salvation army charity
    is was were are be been being has have had do does did will would can could should might must said says told
    drives drove works worked lives lived uses used arrived left seen met went came got paid called named known"""
)
_SENTENCE_END = frozenset(".!?•")


def _is_sentence_start(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in " \t\"'“‘(*":
        i -= 1
    if i == 0 or text[i - 1] in _SENTENCE_END:
        return True
    # A line that starts a new paragraph, or a list item, also starts a sentence.
    return text[i - 1] in "\r\n" and (i < 2 or text[i - 2] in "\r\n" or text[i - 2] in _SENTENCE_END)


_UPPER = string.ascii_uppercase.encode()
_LOWER = string.ascii_lowercase.encode()


def _mostly_upper(text: str) -> bool:
    # In an all-capitals report capitalisation says nothing about names; only cues do.
    sample = text[:4000].encode("ascii", "ignore")
    upper = len(sample) - len(sample.translate(None, _UPPER))  # counting in C: this runs on every report
    letters = upper + len(sample) - len(sample.translate(None, _LOWER))
    return letters >= 20 and upper > 0.7 * letters


def _heuristic_names(text: str, places: set[str]) -> list[Candidate]:
    # Only words that do not start with a lower-case ASCII letter can begin or continue a name; skipping the
    # rest in the regex engine keeps this cheap on long prose.
    words = [(m.start(), m.end(), m.group()) for m in _CAPISH_WORD.finditer(text)]
    upper_text = _mostly_upper(text)

    def name_word(i: int) -> bool:
        s, e, w = words[i]
        if not w[0].isupper() or (w.casefold() in NAME_STOP_WORDS) or w.casefold() in places:
            return False
        # Touching a digit or an @ means part of a code, an email or a plate, not a name.
        before = text[s - 1] if s else " "
        after = text[e] if e < len(text) else " "
        return not (before.isdigit() or after.isdigit() or before in "@./_" or after in "@/_")

    def joined(i: int) -> bool:
        # Words i and i+1 are on one line, apart only by spaces and particles ('Maria de la Cruz').
        return _NAME_GAP.fullmatch(text, words[i][1], words[i + 1][0]) is not None

    found: list[Candidate] = []
    deferred: list[Candidate] = []
    n = len(words)
    i = 0
    while i < n:
        if not name_word(i):
            i += 1
            continue
        first = last = i
        while last + 1 < n and joined(last) and name_word(last + 1):
            last += 1
        i = last + 1
        start, end = words[first][0], words[last][1]
        if text[end - 2 : end] in {"'s", "’s"} and end - start > 3:
            end -= 2  # a possessive is not part of the name: "Hung's car"
        core = [w for _, _, w in words[first : last + 1]]
        cue = bool(_NAME_CUE.search(text, max(0, start - 30), start))
        if len(core) > 4 or (len(core) < 2 and not cue):
            continue
        nxt = _NEXT_WORD.match(text, words[last][1])
        if nxt is not None and nxt.group(1).casefold() in _ORG_WORDS:
            continue  # 'Lotus Nail Bar', 'Tran Brothers Ltd'
        if not cue and _THE_BEFORE.search(text, max(0, start - 8), start):
            continue  # 'the Red Lion': a place or organisation
        if upper_text and not cue:
            continue
        confidence = HEURISTIC_NAME_CONFIDENCE
        if len(core) < 2 or (not cue and all(w.isupper() for w in core)):
            confidence = WEAK_NAME_CONFIDENCE
        raw = text[start:end]
        candidate = Candidate(SelectorKind.PERSON_NAME.value, raw, start, end, name_key(raw), confidence=confidence)
        if not cue and _is_sentence_start(text, start):
            deferred.append(candidate)
        else:
            found.append(candidate)
    # A name that opens a sentence is kept only if it is also written mid-sentence somewhere.
    seen = {c.value for c in found}
    found.extend(c for c in deferred if c.value in seen)
    return found


# --- extractors ------------------------------------------------------------------------------------


def _phones(text: str, region: str, claimed: list[tuple[int, int]]) -> Iterator[Candidate]:
    """Phone numbers, skipping ``claimed`` spans (IBANs, accounts, links, documents) found by surer patterns."""
    claimed.sort()
    claimed_starts = [s for s, _ in claimed]
    for run in _PHONE_RUN.finditer(text):
        if sum(ch.isdigit() for ch in run.group()) < 7:
            continue
        at = bisect.bisect_right(claimed_starts, run.start()) - 1
        if at >= 0 and claimed[at][1] >= run.end():
            continue  # phonenumbers is the slow part of extraction: skip what cannot win
        # A little context either side lets the matcher reject numbers glued to letters.
        offset = max(0, run.start() - 2)
        window = text[offset : run.end() + 2]
        for raw, start, end, value in _phones_in_window(window, region, len(run.group())):
            yield Candidate(SelectorKind.PHONE.value, raw, offset + start, offset + end, value)


@functools.lru_cache(maxsize=8192)
def _phones_in_window(window: str, region: str, run_length: int) -> tuple[tuple[str, int, int, str], ...]:
    """(raw, start, end, E.164) of the numbers in one window: a pure function of the window, so the same
    number written the same way in the next report (phones recur across reports) is not parsed again."""
    matches = []
    if _FICTIONAL_HINT.search(window):
        # Ofcom's drama numbers fail libphonenumber's validity check, so look for them as merely possible
        # numbers; a number written without its leading 0 or + is still refused, as VALID would.
        matches = [
            m
            for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.POSSIBLE)
            if is_fictional_gb(m.number) and m.raw_string.lstrip("(").startswith(("0", "+"))
        ]
    if sum(len(m.raw_string) for m in matches) < run_length:  # anything else left in the run?
        matches.extend(phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID))
    return tuple(
        (m.raw_string, m.start, m.end, phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
        for m in matches
    )


def _emails(text: str) -> Iterator[Candidate]:
    for m in _EMAIL.finditer(text):
        try:
            yield Candidate(SelectorKind.EMAIL.value, m.group(), m.start(), m.end(), normalise_email(m.group()))
        except NormaliseError:
            continue


# The four formats in one pattern: one pass over the text instead of four (this runs on every report).
_VRM_ANY = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_VRM_CURRENT, _VRM_PREFIX, _VRM_SUFFIX, _VRM_NORTHERN_IRELAND))
)
_LETTER_RUN = re.compile(r"[A-Za-z]+")


def _vrms(text: str) -> Iterator[Candidate]:
    for m in _VRM_ANY.finditer(text):
        if any(len(word) == 3 and word.upper() in _VRM_WORDS for word in _LETTER_RUN.findall(m.group())):
            continue
        yield Candidate(SelectorKind.VRM.value, m.group(), m.start(), m.end(), normalise_vrm(m.group()))


def _postcodes(text: str) -> Iterator[Candidate]:
    for m in _POSTCODE.finditer(text):
        raw = m.group()
        # 'M4 5th' is a motorway and an ordinal: accept only consistent case.
        if not (raw.isupper() or raw.islower()):
            continue
        try:
            yield Candidate(SelectorKind.POSTCODE.value, raw, m.start(), m.end(), normalise_postcode(raw))
        except NormaliseError:
            continue


def _addresses(text: str) -> Iterator[Candidate]:
    previous_end = 0
    for m in _ADDRESS.finditer(text):
        start = m.start()
        # The flat must end where the number starts and begin after the previous address (as one pattern
        # with an optional flat would match); 64 characters is more than any flat needs.
        flat = _ADDRESS_FLAT.search(text, max(previous_end, start - 64), start)
        if flat is not None:
            start = flat.start()
        previous_end = end = m.end()
        tail = _ADDRESS_TAIL.match(text, end)
        if tail is not None:
            end = tail.end()
        raw = text[start:end]
        try:
            value = normalise_address(raw)
        except NormaliseError:
            continue
        yield Candidate(SelectorKind.ADDRESS.value, raw, start, end, value, confidence=ADDRESS_CONFIDENCE)


def _ibans(text: str) -> Iterator[Candidate]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        # The pattern may run on into the next word ('... 7654 32 AND'): shorten group by group.
        while True:
            try:
                value = normalise_iban(raw)
            except NormaliseError:
                if " " not in raw.rstrip():
                    break
                raw = raw.rstrip()[: raw.rstrip().rfind(" ")]
                continue
            yield Candidate(SelectorKind.IBAN.value, raw, m.start(), m.start() + len(raw), value)
            break


def _bank_accounts(text: str) -> Iterator[Candidate]:
    for pattern, sort_group, account_group in ((_BANK_LABELLED, 1, 2), (_BANK_REVERSED, 2, 1), (_BANK_BARE, 1, 2)):
        for m in pattern.finditer(text):
            try:
                value = normalise_bank_account(f"{m.group(sort_group)} {m.group(account_group)}")
            except NormaliseError:
                continue
            start = min(m.start(sort_group), m.start(account_group))
            end = max(m.end(sort_group), m.end(account_group))
            yield Candidate(SelectorKind.BANK_ACCOUNT.value, text[start:end], start, end, value)


def _documents(text: str) -> Iterator[Candidate]:
    for m in _DOCUMENT.finditer(text):
        raw = m.group(1)
        try:
            value = normalise_document(raw)
        except NormaliseError:
            continue
        yield Candidate(SelectorKind.DOCUMENT.value, raw, m.start(1), m.end(1), value)


def _trim_url(raw: str) -> str:
    # Sentence punctuation after a link is not part of it; a closing bracket is, if it opened inside.
    while raw and raw[-1] in ".,;:!?'\")]}>":
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        raw = raw[:-1]
    return raw


def _urls(text: str) -> Iterator[Candidate]:
    for pattern in (_URL, _BARE_URL):
        for m in pattern.finditer(text):
            raw = _trim_url(m.group())
            try:
                value = normalise_url(raw)
            except NormaliseError:
                continue
            yield Candidate(SelectorKind.URL.value, raw, m.start(), m.start() + len(raw), value)


_DIGIT = re.compile(r"\d")
_DOCUMENT_WORDS = ("passport", "licen", "document", "permit", "brp", "visa")


def _may_name_document(folded: str) -> bool:
    """Whether a casefolded text holds a word _DOCUMENT starts with ('id' only at the start of a word)."""
    if any(w in folded for w in _DOCUMENT_WORDS):
        return True
    at = folded.find("id")
    while at != -1:
        if at == 0 or not (folded[at - 1].isalnum() or folded[at - 1] == "_"):
            return True
        at = folded.find("id", at + 1)
    return False


# --- assembly --------------------------------------------------------------------------------------


def _collect(into: list[Candidate], name: str, produce: Callable[[], Iterable[Candidate]]) -> None:
    # One extractor tripping over strange input must not cost the officer the others.
    try:
        into.extend(produce())
    except Exception:
        log.warning("entity extraction: the %s extractor failed", name, exc_info=True)


def _may_share(c: Candidate, clashes: list[Candidate]) -> bool:
    # A postcode inside an address is a selector of its own (analysts search by postcode).
    if c.kind == SelectorKind.POSTCODE:
        return all(k.kind == SelectorKind.ADDRESS and k.start <= c.start and c.end <= k.end for k in clashes)
    # The same words naming two known entities: two people share the name, and the officer must choose.
    if c.known_entity_id is not None:
        return all(k.known_entity_id is not None and (k.start, k.end) == (c.start, c.end) for k in clashes)
    return False


def _resolve(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the longest, then most confident, of overlapping candidates."""
    ranked = sorted(candidates, key=lambda c: (c.start - c.end, -c.confidence, c.start))
    starts: list[int] = []
    kept: list[Candidate] = []  # non-overlapping, ordered by start
    shared: list[Candidate] = []
    for c in ranked:
        at = bisect.bisect_right(starts, c.start)
        clashes = [k for k in kept[max(0, at - 1) : at + 1] if k.start < c.end and c.start < k.end]
        if not clashes:
            starts.insert(at, c.start)
            kept.insert(at, c)
        elif _may_share(c, clashes):
            shared.append(c)
    return kept + shared


def extract(
    text: str,
    *,
    matcher: NameMatcher | None = None,
    default_region: str = "GB",
    max_chars: int = 20000,
) -> list[Candidate]:
    """Candidate subjects in ``text``, sorted by position. Never raises; text past ``max_chars`` is ignored."""
    if not isinstance(text, str) or not text or max_chars <= 0:
        return []
    text = text[:max_chars]
    found: list[Candidate] = []
    # Cheap tests first: an extractor whose pattern cannot match this text is not run at all. Each test
    # is implied by its pattern (every plate, postcode, account, IBAN, phone, document number and
    # street number has a digit; an email has an '@'; a link has a '/' or 'www.'), and casefold() only
    # ever adds matches, as the patterns' IGNORECASE does.
    folded = text.casefold()
    digits = _DIGIT.search(text) is not None
    if "@" in text:
        _collect(found, "email", lambda: _emails(text))
    if digits:
        _collect(found, "iban", lambda: _ibans(text))
        if "sort" in folded or "-" in text:
            _collect(found, "bank_account", lambda: _bank_accounts(text))
    if "/" in text or "www." in folded:
        _collect(found, "url", lambda: _urls(text))
    if digits and _may_name_document(folded):
        _collect(found, "document", lambda: _documents(text))
    addresses: list[Candidate] = []
    if digits:
        claimed = [(c.start, c.end) for c in found]
        _collect(found, "phone", lambda: _phones(text, default_region, claimed))
        _collect(found, "vrm", lambda: _vrms(text))
        _collect(found, "postcode", lambda: _postcodes(text))
        _collect(addresses, "address", lambda: _addresses(text))
    found.extend(addresses)

    known: list[Candidate] = []
    if matcher is not None:
        _collect(known, "known name", lambda: matcher.find(text))
    # Capitalised words in addresses, and just before a postcode, are streets and towns; they are not people
    # anywhere in the text.
    places = {w.casefold() for a in addresses for w in _NAME_WORD.findall(a.text) if w[0].isupper()}
    for c in found:
        if c.kind == SelectorKind.POSTCODE and (town := _TOWN_BEFORE.search(text, max(0, c.start - 40), c.start)):
            places.update(w.casefold() for w in _NAME_WORD.findall(town.group()))
    guessed: list[Candidate] = []
    _collect(guessed, "name", lambda: _heuristic_names(text, places))
    # A known entity's name beats a guess about the same words.
    guessed = [g for g in guessed if not any(k.start < g.end and g.start < k.end for k in known)]

    resolved = _resolve(found + known + guessed)
    seen: set[tuple[str, str, int | None]] = set()
    result: list[Candidate] = []
    for c in sorted(resolved, key=lambda c: (c.start, c.end)):
        key = (c.kind, c.value, c.known_entity_id)
        if key in seen:
            continue
        seen.add(key)
        result.append(c)
    return result
