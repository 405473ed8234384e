from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class SubjectIn(Schema):
    kind: str = Field(
        description="person, organisation, location, phone, email, vrm, postcode, address, iban, "
        "bank_account, document or url"
    )
    value: str
    role: str = "other"
    date_of_birth: str = ""
    nationality: str = ""
    premises_type: str = Field(
        "",
        description="for a location or address: residence, massage_parlour, sauna, nail_bar, "
        "car_wash, hotel, farm, factory, restaurant, cannabis_farm or other",
    )
    known_entity_id: int | None = None
    linked_to: int | None = Field(
        None, description="index of another subject; the link reads '<that subject> <relation> <this subject>'"
    )
    relation: str = ""


class ReportIn(Schema):
    text: str
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: list[str] = []
    handling_conditions_text: str = ""
    classification: str = "OFFICIAL"
    exploitation_types: list[str] = []
    dissemination: str = "restricted"
    sharing_group_ids: list[int] = []
    occurred_on: date | None = None
    subjects: list[SubjectIn] = []


class StatementOut(Schema):
    id: int
    entity_id: int
    prop: str
    value: str
    value_normalised: str
    role: str
    related_entity_id: int | None
    report_id: int
    report_reference: str
    organisation: str


class FlagOut(Schema):
    token: str = Field(description="How you address this flag (GET /flags/{token}); never the report's id")
    entity_id: int | None = Field(description="The subject, on an entity's own flags; null at GET /flags/{token}")
    recorded_on: date = Field(description="The day the report was recorded (no time: it would mark the report)")
    occurred_on: date | None
    exploitation_types: list[str]
    organisation: str
    organisation_code: str
    contact_point: str


class ReportOut(Schema):
    access: str = Field(
        description="'full'. A report you know only by flag is not found by its id: its flag is at GET /flags/{token}"
    )
    id: int
    reference: str | None = None
    organisation: str
    created_at: datetime
    text: str | None = None
    grade: str | None = None
    handling_code: str | None = None
    handling_conditions: list[str] = []
    handling_conditions_text: str = ""
    classification: str | None = None
    exploitation_types: list[str] = []
    dissemination: str | None = None
    review_state: str | None = None
    revision: int | None = None
    legacy_grading: str = ""
    sanitised_from_id: int | None = None
    statements: list[StatementOut] = []


class ReportSummaryOut(Schema):
    id: int
    reference: str
    organisation: str
    created_at: datetime
    grade: str
    dissemination: str
    review_state: str


class EntityOut(Schema):
    id: int
    kind: str
    key: str | None
    label: str
    statements: list[StatementOut]
    flags: list[FlagOut]


class AccessRequestIn(Schema):
    reason: str


class DecisionIn(Schema):
    grant: bool
    reason: str


class AccessRequestOut(Schema):
    id: int
    report_id: int | None = Field(description="The report asked for; to the requester, null (see flag)")
    flag: str | None = Field(default=None, description="The flag the request was made from, to its requester")
    requester: str
    status: str
    reason: str
    decision_reason: str


class CandidateOut(Schema):
    kind: str
    text: str
    start: int
    end: int
    value: str
    known_entity_id: int | None
    confidence: float


class ExtractIn(Schema):
    text: str


class ErrorOut(Schema):
    code: str
    message: str


class RejectionOut(Schema):
    line: int
    field: str
    message: str


class ImportOut(Schema):
    imported: int
    dry_run: bool
    references: list[str]
    rejected: list[RejectionOut]
