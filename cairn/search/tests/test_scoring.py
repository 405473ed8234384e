"""Name scoring on its own: slips, transliterations and both at once."""

from __future__ import annotations

from cairn.search.scoring import FOLD_CREDIT, FOLD_SLIP_CREDIT, SLIP_CREDIT, _token_match, score_name


def test_a_slip_in_another_transliteration_still_scores_as_the_name() -> None:
    # 'Sgefen' is 'Stefen' (Stephen written with an f) with one letter wrong: three edits from
    # 'stephen' as written, one once both are folded.
    assert _token_match("sgefen", ["stephen"], set(), {}) == (
        FOLD_SLIP_CREDIT,
        "'sgefen' ~ 'stephen' (transliteration, one letter out)",
    )
    # It counts for less than either a plain slip or a plain transliteration.
    assert FOLD_SLIP_CREDIT < SLIP_CREDIT < FOLD_CREDIT
    assert (
        score_name(["stephen", "watkins"], ["sgefen", "watkins"], {}, {}).score
        > score_name(["stephen", "watkins"], ["stephen", "wilson"], {}, {}).score
    )


def test_a_word_that_folds_under_four_letters_is_not_forgiven_a_slip() -> None:
    # 'Phan' folds to 'fan', one letter from 'fam': too short to call a slip ('Pham' and 'Phan'
    # are two family names).
    assert _token_match("phan", ["fam"], set(), {}) == (0.0, "")
    assert _token_match("phil", ["fel"], set(), {})[0] < FOLD_SLIP_CREDIT
    # Four letters as written, three once folded ('fin' / 'tin'): still too short to forgive.
    assert _token_match("phyn", ["thin"], set(), {})[0] < FOLD_SLIP_CREDIT
