"""The search page and watches."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cairn.access.capabilities import Capability
from cairn.access.policy import require
from cairn.accounts.models import Organisation, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import clean_reason, current_reason, reason_required, set_reason
from cairn.entities.choices import EntityKind, PremisesType
from cairn.intelligence.choices import ExploitationType, IntelligenceAssessment, SourceEvaluation
from cairn.search import services
from cairn.search.choices import QueryKind
from cairn.search.models import Watch
from cairn.search.selectors import MAX_QUERY, Filters, SearchInputError, search


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _date(raw: str, label: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SearchInputError(f"The {label} date '{raw[:20]}' is not a date: write YYYY-MM-DD.") from None


def filters_from(params: Any) -> Filters:
    exploitation = params.get("exploitation_type", "")
    if exploitation and exploitation not in ExploitationType.values:
        raise SearchInputError("Choose an exploitation type from the list.")
    source = params.get("source_evaluation", "")
    assessment = params.get("intelligence_assessment", "")
    if source and source not in SourceEvaluation.values:
        raise SearchInputError("Source evaluation is 1, 2 or 3.")
    if assessment and assessment not in IntelligenceAssessment.values:
        raise SearchInputError("Intelligence assessment is A to E.")
    premises = params.get("premises_type", "")
    if premises and premises not in PremisesType.values:
        raise SearchInputError("Choose a premises type from the list.")
    entity_type = params.get("entity_type", "")
    if entity_type and entity_type not in EntityKind.values:
        raise SearchInputError("Choose a kind of subject from the list.")
    organisation = (params.get("organisation") or "").strip()
    # Checked before it reaches the database: a NUL byte there is an error page, and an unknown code
    # would quietly find nothing.
    if organisation and not (
        re.fullmatch(r"[-a-zA-Z0-9_]{1,40}", organisation) and Organisation.objects.filter(code=organisation).exists()
    ):
        raise SearchInputError("Choose an organisation from the list.")
    filters = Filters(
        organisation=organisation,
        date_from=_date(params.get("date_from", ""), "'from'"),
        date_to=_date(params.get("date_to", ""), "'to'"),
        exploitation_type=exploitation,
        source_evaluation=source,
        intelligence_assessment=assessment,
        premises_type=premises,
        entity_type=entity_type,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise SearchInputError("The 'from' date is after the 'to' date.")
    return filters


def _page(raw: str) -> int:
    try:
        page = int(raw or "1")
    except ValueError:
        raise SearchInputError("The page number is not a number.") from None
    if page < 1:
        raise SearchInputError("Pages start at 1.")
    return min(page, 10_000)  # far past the end of any search: "there are only N pages"


# Besides the words, what a search was narrowed by: recorded with it in the audit log.
ASKED = (
    "kind",
    "dob",
    "nationality",
    "organisation",
    "date_from",
    "date_to",
    "exploitation_type",
    "source_evaluation",
    "intelligence_assessment",
    "premises_type",
    "entity_type",
)


def asked(params: Any) -> dict[str, str]:
    """The parameters of a search that ran (so each was valid) that were given, as given."""
    given = {k: v.strip()[:100] for k in ASKED if isinstance(v := params.get(k), str) and v.strip()}
    if given.get("kind") == QueryKind.AUTO:
        del given["kind"]  # the default, asked of no one (the API always passes it)
    return given


def facet_links(facets: dict[str, list[tuple[str, int]]], query_string: Any) -> dict[str, list[tuple[str, int, str]]]:
    """Each facet's values as the page shows them, each with the query string that narrows the search to it.

    The facets count readable reports only (the search's own rows); a link applies the filter the
    form would, by its own value (an organisation's code, an exploitation type's key). A value no
    filter takes is shown without a link.
    """
    exploitation = dict(ExploitationType.choices)
    premises = {label: value for value, label in PremisesType.choices}
    kinds = {label: value for value, label in EntityKind.choices}
    names = [label for label, _ in facets.get("organisation", [])]
    codes = dict(Organisation.objects.filter(name__in=names).values_list("name", "code")) if names else {}

    def narrowed(**values: str) -> str:
        q = query_string.copy()
        q.pop("page", None)
        for key, value in values.items():
            q[key] = value
        return str(q.urlencode())

    out: dict[str, list[tuple[str, int, str]]] = {}
    for name, counts in facets.items():
        shown: list[tuple[str, int, str]] = []
        for label, n in counts:
            if name == "organisation":
                link = narrowed(organisation=codes[label]) if label in codes else ""
            elif name == "exploitation type":
                link, label = narrowed(exploitation_type=label), exploitation.get(label, label)
            elif name == "premises type":
                link = narrowed(premises_type=premises[label]) if label in premises else ""
            elif name == "entity type":
                link = narrowed(entity_type=kinds[label]) if label in kinds else ""
            elif name == "grading" and len(label) == 2:
                link = narrowed(source_evaluation=label[0], intelligence_assessment=label[1])
            else:
                link = ""
            shown.append((label, n, link))
        out[name] = shown
    return out


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SEARCH)
    params = request.GET
    query = params.get("q", "")
    context: dict[str, Any] = {
        "params": params,
        "kinds": QueryKind.choices,
        "exploitation_types": ExploitationType.choices,
        "premises_types": PremisesType.choices,
        "entity_types": EntityKind.choices,
        "organisations": Organisation.objects.filter(is_active=True).order_by("name"),
        "sources": SourceEvaluation.choices,
        "assessments": IntelligenceAssessment.choices,
        "reason": current_reason(request),
        "max_query": MAX_QUERY,
    }
    if "q" not in params:
        return render(request, "search/search.html", context)
    # Every search of people or selectors is a consultation: it needs a stated reason.
    if needs := reason_required(request):
        return needs
    try:
        result = search(
            actor=user,
            query=query,
            kind=params.get("kind", QueryKind.AUTO),
            dob=params.get("dob", ""),
            nationality=params.get("nationality", ""),
            filters=filters_from(params),
            page=_page(params.get("page", "1")),
        )
    except SearchInputError as exc:
        context["error"] = str(exc)
        return render(request, "search/search.html", context, status=200)
    record_search(request, user, result, criteria=asked(params))
    query_string = params.copy()
    query_string.pop("page", None)
    context |= {"result": result, "query_string": query_string.urlencode()}
    if result.did_you_mean:
        corrected = query_string.copy()
        corrected["q"] = result.did_you_mean
        context["did_you_mean_query"] = corrected.urlencode()
    context["facets"] = facet_links(result.facets, query_string)
    if result.kind != QueryKind.TEXT and params.get("kind", QueryKind.AUTO) in ("", QueryKind.AUTO):
        # Understood as a name or a number: 'nail bar' may be words, not a person; offer them as words.
        as_words = query_string.copy()
        as_words["kind"] = QueryKind.TEXT
        context["words_query"] = as_words.urlencode()
    return render(request, "search/search.html", context)


def record_search(
    request: HttpRequest,
    user: User,
    result: Any,
    *,
    api: bool = False,
    reason: str = "",
    criteria: dict[str, str] | None = None,
) -> None:
    audit.record(
        action=AuditAction.SEARCH,
        actor=user,
        object_type="search",
        object_repr=result.query[:300],
        reason=reason or current_reason(request),
        request=request,
        detail={
            "understood_as": result.understood_as,
            # The date of birth, nationality and filters a consultation was narrowed by are part of what it asked.
            "asked": criteria or {},
            "normalised": result.normalised[:200],
            "results": result.total,
            "flags": len(result.flags),
            "page": result.page,
            "api": api,
            "did_you_mean": result.did_you_mean,
            # Whose intelligence the page shown returned or flagged: what an audit of this search (the
            # searcher's organisation's auditors, the national audit) needs to see what it touched.
            "holders": sorted(
                {r.organisation for h in result.hits for r in h.reports}
                | {r.organisation for r in result.reports}
                | {f.organisation for f in result.flags}
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def watches(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SEARCH)
    error = ""
    # A watch is a standing search: it needs a reason as a search does, the session's unless given here.
    reason = clean_reason(request.POST.get("reason", "")) or current_reason(request)
    if request.method == "POST":
        try:
            if settings.AUDIT_REQUIRE_JUSTIFICATION and not reason:
                raise ValidationError({"reason": "Give a reason for the watch: a reference or a few words."})
            watch = services.watch_create(
                actor=user,
                query=request.POST.get("query", ""),
                kind=request.POST.get("kind", QueryKind.AUTO),
                reason=reason,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            set_reason(request, reason)
            messages.success(request, f"Watching '{watch.query}'. New intelligence you may see will be notified.")
            return redirect("search:watches")
    mine = Watch.objects.filter(owner=user, active=True)
    return render(
        request,
        "search/watches.html",
        {"watches": mine, "error": error, "kinds": QueryKind.choices, "reason": reason},
        status=422 if error else 200,
    )


@login_required
@require_POST
def watch_stop(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SEARCH)
    services.watch_stop(actor=user, watch_id=pk)
    return redirect("search:watches")
