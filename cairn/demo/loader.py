"""Write the demo world into the database through the services. Loading twice does nothing."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cairn.accounts import services as accounts
from cairn.accounts.models import Organisation, SharingGroup, Unit, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.demo.intelligence import DEFAULT_REPORTS, load_reports, world_reports
from cairn.demo.models import DemoLoad
from cairn.demo.story import add_linking_story, add_story
from cairn.demo.world import WORLD_VERSION, World, build_world

DEMO_PASSWORD = "cairn-demo-2026"
# Every demo account shares one authenticator key so a tester adds it to an app once.
# Demo only: real accounts enrol their own key at first sign-in.
DEMO_TOTP_KEY_HEX = b"cairn-demo-totp-key!".hex()


def demo_totp_secret_base32() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_totp_code(at: float | None = None) -> str:
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX), step=30, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


@dataclass(frozen=True)
class LoadResult:
    loaded: bool
    summary: dict


def load_demo(seed: int, world: World | None = None, *, n_reports: int = DEFAULT_REPORTS) -> LoadResult:
    existing = DemoLoad.objects.filter(seed=seed, version=WORLD_VERSION).first()
    if existing is not None:
        return LoadResult(False, existing.summary)
    world = world or build_world(seed)
    with transaction.atomic():
        orgs: dict[str, Organisation] = {}
        for spec in world.organisations:
            org = accounts.organisation_create(
                actor=None,
                code=spec.code,
                name=spec.name,
                kind=spec.kind,
                jurisdiction=spec.jurisdiction,
                region=spec.region,
                contact_point=spec.contact_point,
            )
            orgs[spec.code] = org
            for unit_name, unit_kind in spec.units:
                Unit.objects.create(organisation=org, name=unit_name, kind=unit_kind)
        for group_spec in world.sharing_groups:
            group = SharingGroup.objects.create(
                name=group_spec.name, kind=group_spec.kind, description=group_spec.description
            )
            group.members.set([orgs[c] for c in group_spec.members])
            audit.record(action=AuditAction.CREATE, actor=None, obj=group, organisation=orgs["ntc"])
        units = {(u.organisation.code, u.name): u for u in Unit.objects.select_related("organisation")}
        created: list[User] = []
        for user_spec in world.users:
            created.append(
                accounts.user_create(
                    actor=None,
                    username=user_spec.username,
                    organisation_code=user_spec.organisation,
                    roles=list(user_spec.roles),
                    email=user_spec.email,
                    first_name=user_spec.first_name,
                    last_name=user_spec.last_name,
                    unit=units.get((user_spec.organisation, user_spec.unit)) if user_spec.unit else None,
                    job_title=user_spec.job_title,
                )
            )
        # One Argon2 hash for the shared demo password, not one per account.
        User.objects.filter(pk__in=[u.pk for u in created]).update(password=make_password(DEMO_PASSWORD))
        TOTPDevice.objects.bulk_create(
            [TOTPDevice(user=u, name="Demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True) for u in created]
        )
        # Intelligence: the generated reports, each submitted as its author, then the supervisors' reviews,
        # then the fixed story of the walk-through.
        by_username = {u.username: u for u in created}
        intelligence = load_reports(world_reports(world, n_reports), by_username, world=world)
        story = add_story(by_username)
        linked = add_linking_story(by_username)
        by_level = dict(intelligence.by_level)
        by_organisation = dict(intelligence.by_organisation)
        for told in [story, *linked] if story is not None else linked:
            by_level[told.dissemination] = by_level.get(told.dissemination, 0) + 1
            by_organisation[told.organisation.code] = by_organisation.get(told.organisation.code, 0) + 1
        summary = {
            "organisations": len(orgs),
            "sharing_groups": len(world.sharing_groups),
            "users": len(created),
            "hidden_people": len(world.people),
            "hidden_groups": len(world.groups),
            "reports": intelligence.submitted + (story is not None) + len(linked),
            "reports_by_level": by_level,
            "reports_by_organisation": dict(sorted(by_organisation.items())),
            "reports_reviewed": intelligence.reviewed
            + (story is not None)
            + sum(r.review_state == "reviewed" for r in linked),
            "reports_awaiting_review": intelligence.awaiting_review,
            "story_report": story.reference if story is not None else None,
            "linking_story_reports": [r.reference for r in linked],
            # The generator's hidden crime groups as entity ids: what group detection should find.
            "hidden_group_entities": intelligence.group_entities,
        }
        DemoLoad.objects.create(seed=seed, version=WORLD_VERSION, summary=summary)
    # The background task adds each batch's words too; rebuilt here so "did you mean" works at once.
    from cairn.search import vocabulary

    vocabulary.rebuild()
    # Every report's people are queued for matching in the background; the story's are matched now,
    # so the walk-through works before the worker has caught up.
    if linked:
        from cairn.linking.tasks import match_reports

        match_reports.call([r.pk for r in linked])
    return LoadResult(True, summary)
