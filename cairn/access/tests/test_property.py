"""Property: no user ever receives a statement from a report the dissemination rule withholds.

Hypothesis builds random worlds — organisations (law enforcement or not),
sharing groups, reports at random levels, named groups, review states and
access grants — and checks the policy against the table, written here
independently of the policy's own code.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cairn.access import intelligence as policy
from cairn.accounts.choices import OrganisationKind, Role
from cairn.core.testing import OrganisationFactory, SharingGroupFactory, UserFactory
from cairn.entities.models import Statement
from cairn.intelligence import services
from cairn.intelligence.choices import ReviewState
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import AccessRequest

org_strategy = st.lists(
    st.sampled_from(
        [
            OrganisationKind.POLICE_FORCE,
            OrganisationKind.LAW_ENFORCEMENT_AGENCY,
            OrganisationKind.CHARITY,
            OrganisationKind.PROSECUTOR,
        ]
    ),
    min_size=2,
    max_size=4,
)
report_strategy = st.lists(
    st.tuples(
        st.integers(0, 3),  # originating org index (mod count)
        st.sampled_from(["shared", "restricted", "confidential"]),
        st.booleans(),  # name the sharing group
        st.booleans(),  # awaiting review (handling C, not reviewed)
        st.integers(0, 3),  # shared phone index: reports may name the same phone
    ),
    min_size=1,
    max_size=5,
)
role_strategy = st.sampled_from([Role.OFFICER, Role.ANALYST, Role.CASEWORKER, Role.STATISTICIAN, Role.ADMINISTRATOR])


def expected_full(user, report, group_members: set[int], named: bool, granted: bool) -> bool:
    """The dissemination table of DESIGN.md, spelled out on its own."""
    if Role.OFFICER not in user.roles and Role.ANALYST not in user.roles:
        return False
    org = user.organisation
    if org.pk == report.organisation_id:
        return True
    if report.review_state == ReviewState.AWAITING:
        return False
    if named and org.pk in group_members:
        return True
    if granted:
        return True
    return report.dissemination == "shared" and org.is_law_enforcement


class DisseminationProperty(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        kinds=org_strategy,
        reports=report_strategy,
        roles=st.lists(role_strategy, min_size=1, max_size=4),
        group_mask=st.lists(st.booleans(), min_size=4, max_size=4),
        grant_first=st.booleans(),
    )
    def test_no_statement_escapes_the_rule(self, kinds, reports, roles, group_mask, grant_first) -> None:
        orgs = [OrganisationFactory(kind=k) for k in kinds]
        members = [o for o, m in zip(orgs, group_mask, strict=False) if m]
        group = SharingGroupFactory(members=members)
        member_ids = {o.pk for o in members}
        authors = [UserFactory(organisation=o, roles=[Role.OFFICER]) for o in orgs]
        made = []
        for org_index, level, named, awaiting, phone in reports:
            author = authors[org_index % len(orgs)]
            # Only a group the originator belongs to can be named.
            named = named and author.organisation_id in member_ids
            report = services.report_submit(
                actor=author,
                data=ReportInput(
                    text="Seen at the car wash.",
                    source_evaluation="2",
                    intelligence_assessment="B",
                    handling_code="C" if awaiting else "P",
                    handling_conditions=["A1"] if awaiting else [],
                    dissemination=level,
                    sharing_group_ids=[group.pk] if named else [],
                    subjects=[
                        SubjectInput(kind="phone", value=f"07700 90040{phone}", role="user"),
                        SubjectInput(kind="person", value="Ana Popescu", role="victim"),
                    ],
                ),
            )
            made.append((report, named))
        users = [UserFactory(organisation=orgs[i % len(orgs)], roles=[r]) for i, r in enumerate(roles)]
        granted: set[tuple[int, int]] = set()
        if grant_first and users:
            # One granted access request, when the first user sees the first report as a flag.
            first_user, (first_report, _) = users[0], made[0]
            if policy.report_access(first_user, first_report.pk) == "flag":
                AccessRequest.unscoped_objects.create(
                    report=first_report, requester=first_user, reason="r", status="granted"
                )
                granted.add((first_user.pk, first_report.pk))
        for user in users:
            allowed = {
                r.pk for r, named in made if expected_full(user, r, member_ids, named, (user.pk, r.pk) in granted)
            }
            received = set(policy.statements_visible_to(user).values_list("report_id", flat=True))
            assert received <= allowed, (user.roles, user.organisation.kind)
            assert received == {r for r in allowed if Statement.unscoped_objects.filter(report_id=r).exists()}
            flagged = {f.report_id for f in policy.flags_for(user, report_ids=[r.pk for r, _ in made])}
            assert not flagged & allowed
            for report_id in flagged:
                report = next(r for r, _ in made if r.pk == report_id)
                assert report.dissemination == "restricted" and user.organisation.is_law_enforcement
