"""``cairn resolve`` as a user runs it: a subprocess on small CSV files, good input and bad."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

HEADER = "record_id,full_name,date_of_birth,nat,phone\n"
ROWS = (
    "1,Nguyen Van Minh,1990-03-04,Vietnamese,+447700900001\n"
    "2,Nguyễn Văn Minh,1990,VN,\n"
    "3,Minh NGUYEN,04/03/1990,Viet Nam,+447700900001\n"
    "4,Mohammed Ali Hassan,1985-07-12,Sudanese,\n"
    "5,Muhammad Ali Hasan,1985-12-07,SD,\n"
    "6,,1970-01-01,GB,\n"
    "7,John Smith,2001-02-30,British,\n"
    "8,Jane Doe,1999-05-05,British,+447700900999\n"
)
COLUMNS = "id=record_id,name=full_name,dob=date_of_birth,nationality=nat,selectors=phone"


def cairn(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    exe = os.path.join(os.path.dirname(sys.executable), "cairn")
    return subprocess.run(
        [exe, "resolve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=settings.BASE_DIR,
        check=False,
    )


def clusters(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["record_id"]: (r["cluster_id"], r["match_probability"]) for r in csv.DictReader(fh)}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_dedupe_one_file(tmp_path: Path) -> None:
    src = write(tmp_path / "people.csv", HEADER + ROWS)
    out = tmp_path / "clusters.csv"
    r = cairn(str(src), "--out", str(out), "--columns", COLUMNS)
    assert r.returncode == 0, r.stderr
    got = clusters(out)
    assert out.read_text(encoding="utf-8").splitlines()[0] == "record_id,cluster_id,match_probability"
    assert set(got) == {str(i) for i in range(1, 9)}  # every record, the unnamed one too
    assert got["1"][0] == got["2"][0] == got["3"][0]  # three spellings, one person
    assert got["4"][0] == got["5"][0]  # Mohammed / Muhammad, day and month swapped
    assert got["1"][0] != got["4"][0]
    assert float(got["1"][1]) >= 0.5
    assert got["8"][1] == ""  # alone: no probability
    assert "skipped 1 records without a usable name" in r.stdout
    assert "1 impossible dates of birth treated as unknown" in r.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_utf8_with_bom_and_default_columns(tmp_path: Path) -> None:
    src = write(tmp_path / "bom.csv", "\ufeffid,name,dob\n1,Anna Kowalska,1990-03-04\n2,KOWALSKA Anna,04/03/1990\n")
    out = tmp_path / "out.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    got = clusters(out)
    assert got["1"][0] == got["2"][0]


def test_link_two_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", "id,name,dob\n1,Anna Kowalska,1990-03-04\n2,Piotr Nowak,1970\n")
    b = write(tmp_path / "b.csv", "id,name,dob\n1,KOWALSKA Anna,04/03/1990\n7,Jan Zielinski,1980-01-01\n")
    out = tmp_path / "links.csv"
    r = cairn("--link-only", str(a), str(b), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["source", "record_id", "cluster_id", "match_probability"]
    cid = {(r["source"], r["record_id"]): r["cluster_id"] for r in rows}
    assert len(cid) == 4
    assert cid[("a.csv", "1")] == cid[("b.csv", "1")]
    assert cid[("a.csv", "2")] != cid[("b.csv", "7")]


def test_missing_column_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "p.csv", HEADER + ROWS)
    out = tmp_path / "out.csv"
    r = cairn(str(src), "--out", str(out), "--columns", "id=record_id,name=fullname")
    assert r.returncode != 0
    assert "no column fullname (for name)" in r.stderr
    assert "record_id, full_name" in r.stderr  # the columns it does have
    assert not out.exists()


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "latin1.csv", "id,name\n1,Zoë Müller\n2,Zoe Muller\n", encoding="latin-1")
    out = tmp_path / "out.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode != 0
    assert "latin1.csv is not UTF-8" in r.stderr
    assert "iconv" in r.stderr
    assert not out.exists()


def test_duplicate_ids_are_refused_by_name(tmp_path: Path) -> None:
    src = write(tmp_path / "d.csv", "id,name\n1,Anna\n2,Bob\n1,Carl\n3,Dora\n3,Emil\n")
    out = tmp_path / "out.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode != 0
    assert "record ids must be unique" in r.stderr
    assert "1 (2 times)" in r.stderr and "3 (2 times)" in r.stderr
    assert not out.exists()


def test_empty_ids_and_names(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    r = cairn(str(write(tmp_path / "e.csv", "id,name\n,Anna\n2,Bob\n")), "--out", str(out))
    assert r.returncode != 0 and "have no id" in r.stderr
    r = cairn(str(write(tmp_path / "n.csv", "id,name\n1,\n2,  \n")), "--out", str(out))
    assert r.returncode != 0 and "no record has a usable name" in r.stderr
    assert not out.exists()


def test_a_failed_run_leaves_the_old_output_alone(tmp_path: Path) -> None:
    out = write(tmp_path / "out.csv", "previous results\n")
    r = cairn(str(write(tmp_path / "d.csv", "id,name\n1,A\n1,B\n")), "--out", str(out))
    assert r.returncode != 0
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "out.csv"]


def test_usage_errors(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert "give the CSV file" in cairn("--out", str(out)).stderr
    assert "does not exist" in cairn(str(tmp_path / "nope.csv"), "--out", str(out)).stderr
    src = write(tmp_path / "p.csv", "id,name\n1,Anna\n")
    assert "FIELD=COLUMN" in cairn(str(src), "--out", str(out), "--columns", "colour=red").stderr
    assert "header but no records" in cairn(str(write(tmp_path / "h.csv", "id,name\n")), "--out", str(out)).stderr


def test_names_in_other_scripts_are_matched_not_skipped(tmp_path: Path) -> None:
    """A usable name is one with a letter of any script: the model transliterates 'Иван Петров'."""
    src = write(
        tmp_path / "people.csv",
        "id,name,dob\n1,Иван Петров,1990-03-04\n2,Ivan Petrov,1990-03-04\n"
        "3,محمد علي,1985-01-01\n4,Ann Lee,1970-01-01\n",
    )
    out = tmp_path / "clusters.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "skipped 0 records without a usable name" in r.stdout, r.stdout
    got = clusters(out)
    assert got["1"][0] == got["2"][0], got  # one man, in Cyrillic and in Latin letters
    assert len({got[k][0] for k in ("3", "4")} | {got["1"][0]}) == 3


def test_link_two_files_of_one_name_names_each_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = write(tmp_path / "x" / "people.csv", "id,name,dob\n1,Anna Kowalska,1990-03-04\n2,Piotr Nowak,1970-01-01\n")
    b = write(tmp_path / "y" / "people.csv", "id,name,dob\n1,KOWALSKA Anna,04/03/1990\n2,Jan Zielinski,1980-01-01\n")
    out = tmp_path / "links.csv"
    r = cairn("--link-only", str(a), str(b), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        keys = [(row["source"], row["record_id"]) for row in csv.DictReader(fh)]
    assert sorted(keys) == sorted((str(p), i) for p in (a, b) for i in ("1", "2")), keys
