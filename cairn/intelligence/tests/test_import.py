"""Bulk import: a file is checked line by line and written all or nothing; legacy grades are mapped and kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from cairn.audit.models import AuditEntry
from cairn.core.testing import SharingGroupFactory, UserFactory, run_cli
from cairn.entities.choices import Property
from cairn.entities.models import Statement
from cairn.intelligence import importer
from cairn.intelligence.importer import ImportFileError, JsonlFile, import_reports
from cairn.intelligence.models import IntelligenceReport


def line(**fields: Any) -> str:
    report: dict[str, Any] = {
        "text": "Women moved between flats above the Aldermoor nail bar at night.",
        "grading": {"model": "3x5x2", "source": "2", "intelligence": "B", "handling": "P"},
    }
    report.update(fields)
    return json.dumps(report, ensure_ascii=False)


def legacy(code: str, **fields: Any) -> str:
    """A 5x5x5 line from a grade written as on the old forms, e.g. 'B2 4'."""
    grade = {"model": "5x5x5", "source": code[0], "intelligence": code[1], "handling": code[3]}
    return line(grading=grade, source_reference=f"OLD-{code}", **fields)


@pytest.fixture
def officer() -> Any:
    return UserFactory(roles=["officer"], organisation__code="aldermoor")


def _report(source_reference: str) -> IntelligenceReport:
    return IntelligenceReport.unscoped_objects.get(source_reference=source_reference)


@pytest.mark.django_db
def test_a_mixed_file_imports_with_legacy_grades_mapped_and_kept(officer: Any) -> None:
    group = SharingGroupFactory(name="North West cell", members=[officer.organisation])
    lines = [
        line(
            source_reference="NEW-1",
            occurred_on="2024-11-02",
            exploitation_types=["sexual"],
            classification="official-sensitive",
            dissemination="shared",
            sharing_groups=["North West cell"],
            subjects=[
                {
                    "kind": "person",
                    "value": "Tran Van Minh",
                    "role": "suspect",
                    "date_of_birth": "1988-04",
                    "nationality": "VN",
                },
                {"kind": "phone", "value": "07700 900123", "role": "user", "linked_to": 0, "relation": "uses"},
                {"kind": "iban", "value": "GB33 BUKB 2020 1555 5555 55"},
                {
                    "kind": "address",
                    "value": "Lotus Nails, 4 Market St, Aldermoor AM1 3QT",
                    "premises_type": "nail_bar",
                },
            ],
        ),
        "",
        line(
            source_reference="NEW-2",
            dissemination="confidential",
            grading={
                "model": "3x5x2",
                "source": "1",
                "intelligence": "a",
                "handling": "C",
                "conditions": ["A1", "s2"],
                "conditions_text": "Not to be used at interview.",
            },
        ),
        legacy("A1 1"),
        legacy("B2 2"),
        legacy("C3 3"),
        legacy("D4 4"),
        legacy("E5 5"),
        "   ",
    ]
    result = import_reports(actor=officer, lines=lines, source_system="Legacy RMS")

    assert result.rejected == []
    assert result.imported == 7 and len(result.references) == 7
    assert IntelligenceReport.unscoped_objects.count() == 7

    first = _report("NEW-1")
    assert first.grade == "2B P" and first.grading_model == "3x5x2" and first.legacy_grading == ""
    assert first.dissemination == "shared" and first.classification == "OFFICIAL-SENSITIVE"
    assert [g.pk for g in first.sharing_groups.all()] == [group.pk]
    assert str(first.occurred_on) == "2024-11-02" and first.source_system == "Legacy RMS"
    statements = Statement.unscoped_objects.filter(report=first)
    subjects = {s.value: s.role for s in statements.filter(prop=Property.SUBJECT)}
    assert subjects == {
        "Tran Van Minh": "suspect",
        "07700 900123": "user",
        "GB33 BUKB 2020 1555 5555 55": "other",
        "Lotus Nails, 4 Market St, Aldermoor AM1 3QT": "other",
    }
    assert statements.filter(prop=Property.PREMISES_TYPE, value="Nail bar", value_normalised="nail_bar").exists()
    assert statements.filter(prop=Property.IDENTIFIER, value_normalised="+447700900123").exists()
    assert statements.filter(prop=Property.DATE_OF_BIRTH, value="1988-04").exists()
    assert statements.filter(prop=Property.NATIONALITY, value="VN").exists()
    uses = statements.get(prop=Property.USES)
    # "<person> uses <phone>": the link reads from the subject it names to this one.
    assert uses.related_entity.key == "+447700900123" and uses.entity == statements.get(prop=Property.NAME).entity

    second = _report("NEW-2")
    assert second.grade == "1A C" and second.handling_conditions == ["A1", "S2"]
    assert second.handling_conditions_text == "Not to be used at interview."
    assert second.dissemination == "confidential" and second.review_state == "awaiting"

    expected = {
        # legacy: (3x5x2 grade, dissemination, words in the recorded condition)
        "A1 1": ("1A P", "shared", ""),
        "B2 2": (
            "1A C",
            "shared",
            "Legacy handling 2: may go to UK non-prosecuting parties; authorisation and records needed",
        ),
        "C3 3": ("3B C", "shared", "Legacy handling 3: may go to non-EEA law enforcement"),
        "D4 4": ("3D C", "confidential", "Legacy handling 4: originating agency only"),
        "E5 5": ("2E C", "restricted", "refer to the originator"),
    }
    for code, (grade, dissemination, condition) in expected.items():
        report = _report(f"OLD-{code}")
        assert report.grading_model == "5x5x5" and report.legacy_grading == code, code
        assert report.grade == grade, code
        assert report.dissemination == dissemination, code
        assert report.handling_conditions == [], code
        assert condition in report.handling_conditions_text, code
        assert bool(report.handling_conditions_text) == (code != "A1 1"), code

    # Each report is audited by the service, and the import as a whole once more.
    assert AuditEntry.objects.filter(object_type="intelligence.report", action="create").count() == 7
    summary = AuditEntry.objects.get(object_type="intelligence.import")
    assert summary.actor == officer and summary.action == "create"
    assert summary.detail["reports"] == 7 and summary.detail["source_system"] == "Legacy RMS"
    assert summary.detail["grading_models"] == {"3x5x2": 2, "5x5x5": 5}
    assert {summary.detail["first"], summary.detail["last"]} <= set(result.references)


@pytest.mark.django_db
def test_one_bad_line_rejects_the_whole_file_and_every_problem_is_named(officer: Any) -> None:
    lines = [
        line(source_reference="GOOD-1"),
        '{"text": "Cash collected weekly", "grading": {"model": "3x5x2"',
        legacy("F2 1"),
        line(grading={"model": "3x5x2", "source": "1", "intelligence": "B", "handling": "C"}),
        line(subjects=[{"kind": "person", "value": "Anna K"}, {"kind": "phone", "value": "12345"}]),
        line(text="   "),
        line(grading={"model": "5x5x5", "source": "B", "intelligence": "6", "handling": "9"}),
    ]
    result = import_reports(actor=officer, lines=lines)

    assert result.imported == 0 and result.references == []
    assert IntelligenceReport.unscoped_objects.count() == 0
    assert AuditEntry.objects.filter(object_type__startswith="intelligence.").count() == 0
    assert [(r.line, r.field) for r in result.rejected] == [
        (2, "json"),
        (3, "grading.source"),
        (4, "grading.conditions"),
        (5, "subjects[1].value"),
        (6, "text"),
        (7, "grading.intelligence"),
        (7, "grading.handling"),
    ]
    assert result.rejected_lines == 6
    messages = {(r.line, r.field): r.message for r in result.rejected}
    assert "Unknown 5x5x5 source grade 'F'" in messages[(3, "grading.source")]
    assert "needs its conditions" in messages[(4, "grading.conditions")]
    assert "'12345' is not a valid phone number" in messages[(5, "subjects[1].value")]
    assert "no text" in messages[(6, "text")]


@pytest.mark.parametrize(
    ("report", "field", "message"),
    [
        (line(occured_on="2024-01-01"), "occured_on", "Unknown field"),
        (line(grading={"model": "4x4"}), "grading.model", "use 3x5x2 or 5x5x5"),
        ('{"grading": {"model": "3x5x2", "source": "1", "intelligence": "A", "handling": "P"}}', "text", "required"),
        ("[1, 2]", "json", "one JSON object"),
        (line(text=42), "text", "as a string"),
        (line(classification="SECRET"), "classification", "OFFICIAL and OFFICIAL-SENSITIVE"),
        (line(exploitation_types=["sexual", "piracy"]), "exploitation_types", "piracy"),
        (line(dissemination="everyone"), "dissemination", "everyone"),
        (line(occurred_on="2024-13-01"), "occurred_on", "not a date"),
        (line(occurred_on="2999-01-01"), "occurred_on", "future"),
        (line(sharing_groups=["No such group"]), "sharing_groups", "No such group"),
        (line(source_reference="x" * 101), "source_reference", "100"),
        (legacy("B2 1", dissemination="confidential"), "dissemination", "derived"),
        (
            line(grading={"model": "5x5x5", "source": "B", "intelligence": "2", "handling": "4", "conditions": ["A1"]}),
            "grading.conditions",
            "Unknown field",
        ),
        (
            line(grading={"model": "3x5x2", "source": "1", "intelligence": "A", "handling": "P", "conditions": ["A1"]}),
            "grading.conditions",
            "not P",
        ),
        (line(subjects=[{"kind": "spaceship", "value": "X"}]), "subjects[0].kind", "spaceship"),
        (line(subjects=[{"kind": "iban", "value": "GB00 BUKB 2020 1555 5555 55"}]), "subjects[0].value", "IBAN"),
        (line(subjects=[{"kind": "location", "value": "!!!"}]), "subjects[0].value", "not an address"),
        (line(subjects=[{"kind": "phone", "value": 7700900123}]), "subjects[0].value", "as a string"),
        (
            line(subjects=[{"kind": "person", "value": "A B", "linked_to": "0", "relation": "uses"}]),
            "subjects[0].linked_to",
            "number",
        ),
        (
            line(subjects=[{"kind": "person", "value": "A B", "date_of_birth": "12/03/1999"}]),
            "subjects[0].date_of_birth",
            "YYYY",
        ),
        (
            line(subjects=[{"kind": "phone", "value": "07700 900123", "premises_type": "hotel"}]),
            "subjects[0].premises_type",
            "Only a place",
        ),
        (
            line(subjects=[{"kind": "location", "value": "4 Market St, Aldermoor", "premises_type": "castle"}]),
            "subjects[0].premises_type",
            "Unknown premises type",
        ),
        (
            line(subjects=[{"kind": "person", "value": "A B", "known_entity_id": 3}]),
            "subjects[0].known_entity_id",
            "Unknown field",
        ),
    ],
)
@pytest.mark.django_db
def test_each_kind_of_problem_names_its_field(officer: Any, report: str, field: str, message: str) -> None:
    result = import_reports(actor=officer, lines=[report])
    assert result.imported == 0
    found = {r.field: r.message for r in result.rejected}
    assert field in found, result.rejected
    assert message in found[field]
    assert IntelligenceReport.unscoped_objects.count() == 0


@pytest.mark.django_db
def test_legacy_codes_four_and_five_cannot_name_sharing_groups(officer: Any) -> None:
    SharingGroupFactory(name="Regional cell", members=[officer.organisation])
    result = import_reports(
        actor=officer,
        lines=[legacy("B2 4", sharing_groups=["Regional cell"]), legacy("B2 2", sharing_groups=["Regional cell"])],
    )
    assert [(r.line, r.field) for r in result.rejected] == [(1, "sharing_groups")]


@pytest.mark.django_db
def test_a_sharing_group_the_organisation_is_not_in_cannot_be_named(officer: Any) -> None:
    SharingGroupFactory(name="Someone else's cell", members=[])
    result = import_reports(actor=officer, lines=[line(sharing_groups=["Someone else's cell"])])
    assert [r.field for r in result.rejected] == ["sharing_groups"]


@pytest.mark.django_db
def test_a_source_reference_is_imported_once(officer: Any) -> None:
    first = import_reports(actor=officer, lines=[legacy("A1 1")], source_system="RMS")
    assert first.imported == 1
    again = import_reports(actor=officer, lines=[line(source_reference="NEW"), legacy("A1 1")], source_system="RMS")
    assert [(r.line, r.field) for r in again.rejected] == [(2, "source_reference")]
    assert first.references[0] in again.rejected[0].message
    twice = import_reports(actor=officer, lines=[line(source_reference="X"), line(source_reference="X")])
    assert [(r.line, r.field) for r in twice.rejected] == [(2, "source_reference")]
    # Another system may use the same reference.
    assert import_reports(actor=officer, lines=[legacy("A1 1")], source_system="Other RMS").imported == 1


@pytest.mark.django_db
def test_dry_run_checks_and_writes_nothing(officer: Any) -> None:
    result = import_reports(actor=officer, lines=f"{line()}\n{legacy('C3 3')}\n", dry_run=True)
    assert result.dry_run and result.imported == 2 and result.rejected == [] and result.references == []
    assert IntelligenceReport.unscoped_objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="intelligence.import").exists()


@pytest.mark.django_db
def test_only_someone_who_may_submit_intelligence_can_import() -> None:
    statistician = UserFactory(roles=["statistician"])
    with pytest.raises(PermissionDenied):
        import_reports(actor=statistician, lines=[line()], dry_run=True)


@pytest.mark.django_db
def test_large_files_are_written_in_chunks_but_still_all_or_nothing(
    officer: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(importer, "CHUNK_SIZE", 3)
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(line(source_reference=f"R{i}") for i in range(8)) + "\n", encoding="utf-8")
    result = import_reports(actor=officer, lines=JsonlFile(path))
    assert result.imported == 8 and IntelligenceReport.unscoped_objects.count() == 8
    assert len(set(result.references)) == 8


@pytest.mark.django_db
def test_lines_and_files_that_are_too_big_are_rejected(
    officer: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write(line() + "\n")
        f.write(line(text="x" * (importer.MAX_LINE_BYTES + 10)) + "\n")
        f.write(line() + "\n")
    result = import_reports(actor=officer, lines=JsonlFile(path))
    assert [(r.line, r.field) for r in result.rejected] == [(2, "line")]
    assert "limit is 1,048,576" in result.rejected[0].message

    monkeypatch.setattr(importer, "MAX_LINES", 3)
    result = import_reports(actor=officer, lines=(line() for _ in range(5)))
    assert [(r.line, r.field) for r in result.rejected] == [(4, "file")]
    assert IntelligenceReport.unscoped_objects.count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused(officer: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(line(text="Café on the high street").encode("latin-1") + b"\n")
    with pytest.raises(ImportFileError, match="line 1 is not UTF-8"):
        import_reports(actor=officer, lines=JsonlFile(path))
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + line().encode() + b"\r\n")
    assert import_reports(actor=officer, lines=JsonlFile(bom)).imported == 1


@pytest.mark.django_db(transaction=True)
def test_import_cli(tmp_path: Path) -> None:
    officer = UserFactory(username="pc.import", roles=["officer"], organisation__code="aldermoor")
    good = tmp_path / "good.jsonl"
    good.write_text(f"{line(source_reference='A')}\n\n{legacy('B2 4')}\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(f"{line()}\nnot json\n{legacy('B7 1')}\n", encoding="utf-8")

    checked = run_cli("import", "reports", str(good), "--as", "PC.Import", "--dry-run")
    assert checked.returncode == 0, checked.stderr
    assert "2 reports would be imported" in checked.stdout
    assert IntelligenceReport.unscoped_objects.count() == 0

    ok = run_cli("import", "reports", str(good), "--as", "pc.import", "--source-system", "Old RMS")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("imported 2 reports")
    assert IntelligenceReport.unscoped_objects.filter(author=officer, source_system="Old RMS").count() == 2
    assert _report("OLD-B2 4").legacy_grading == "B2 4"

    rejected = run_cli("import", "reports", str(bad), "--as", "pc.import")
    assert rejected.returncode == 1
    assert "rejected: 2 lines" in rejected.stderr
    assert "line 2: json: Not valid JSON" in rejected.stderr
    assert "line 3: grading.intelligence: Unknown 5x5x5 intelligence grade '7'" in rejected.stderr
    assert "Traceback" not in rejected.stderr
    assert IntelligenceReport.unscoped_objects.count() == 2

    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(line(text="Café").encode("latin-1") + b"\n")
    UserFactory(username="stats", roles=["statistician"])
    for args, message in [
        (("import", "reports", str(good), "--as", "nobody"), "there is no user 'nobody'"),
        (("import", "reports", str(good), "--as", "stats"), "stats may not submit intelligence"),
        (("import", "reports", str(tmp_path / "missing.jsonl"), "--as", "pc.import"), "no such file"),
        (("import", "reports", str(latin1), "--as", "pc.import"), "line 1 is not UTF-8"),
        (("import", "entities", str(good), "--as", "pc.import"), "invalid choice"),
    ]:
        failed = run_cli(*args)
        assert failed.returncode == 2, (args, failed.stdout, failed.stderr)
        assert message in failed.stderr
        assert "Traceback" not in failed.stderr
    assert IntelligenceReport.unscoped_objects.count() == 2
