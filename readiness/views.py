"""Thin HTML views: parse, call a selector or a service, render. htmx requests get partials."""

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.types import AuthedHttpRequest
from kpis.filters import KpiFilterForm
from supportdesk.errors import DomainError
from tickets.views import _is_htmx

from . import policies, selectors, services
from .forms import ActionForm, AnswerForm, ReviewCreateForm, ReviewFilterForm
from .models import Review, Risk

PAGE_SIZE = 25


def _message(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _form_message(form) -> str:
    return " ".join(
        f"{'' if field == '__all__' else form[field].label + ': '}{error}"
        for field, errors in form.errors.items()
        for error in errors
    )


def _see_reviews(request: HttpRequest) -> None:
    if not policies.may_see_reviews(request.user):
        raise Http404("No such page.")  # requesters never learn that reviews exist


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    _see_reviews(request)
    form = ReviewFilterForm(request.GET, user=request.user)
    reviews = selectors.review_list(user=request.user, **form.filters())
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
        "can_manage": policies.may_manage(request.user),
    }
    return render(request, "readiness/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: AuthedHttpRequest) -> HttpResponse:
    _see_reviews(request)
    if not policies.may_manage(request.user):
        raise PermissionDenied
    form = ReviewCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Review opened, due {review.due_on:%-d %b %Y}.")
            return redirect(review)
    return render(request, "readiness/create.html", {"form": form}, status=400 if form.errors else 200)


def _detail_context(request: HttpRequest, review: Review, action_form: ActionForm | None = None) -> dict:
    user = request.user
    return {
        "review": review,
        "answers": selectors.review_answers(review=review),
        "actions": selectors.review_actions(review=review, user=user),
        "risks": cast(forms.ChoiceField, AnswerForm.base_fields["risk"]).choices,
        "can_fill": review.is_editable and policies.may_fill(user, review),
        "can_manage": policies.may_manage(user),
        "action_form": action_form or ActionForm(review=review),
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_detail(user=request.user, review_id=review_id)
    return render(request, "readiness/detail.html", _detail_context(request, review))


@login_required
@require_POST
def answer_save(request: AuthedHttpRequest, review_id: int, answer_id: int) -> HttpResponse:
    review = selectors.review_detail(user=request.user, review_id=review_id)
    answer = selectors.review_answer(review=review, answer_id=answer_id)
    form = AnswerForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            answer = services.answer_save(
                answer=answer, actor=request.user, answer_text=data["answer"], risk=data["risk"], notes=data["notes"]
            )
        except (DomainError, ValidationError) as exc:
            error = _message(exc)
    else:
        error = _form_message(form)
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "Answer saved.")
        return redirect(f"{review.get_absolute_url()}#answer-{answer.pk}")
    if error:  # shown again as typed, unsaved, next to the reason
        answer.answer, answer.notes = request.POST.get("answer", "")[:5000], request.POST.get("notes", "")[:5000]
    can_fill = review.is_editable and policies.may_fill(request.user, review)
    risks = cast(forms.ChoiceField, AnswerForm.base_fields["risk"]).choices
    context = {
        "review": answer.review,
        "a": answer,
        "risks": risks,
        "error": error,
        "saved": not error,
        "can_fill": can_fill,
    }
    return render(request, "readiness/_answer.html", context, status=400 if error else 200)


@login_required
@require_POST
def action_add(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_detail(user=request.user, review_id=review_id)
    form = ActionForm(request.POST, review=review)
    raised = None
    if form.is_valid():
        try:
            raised = services.action_add(review=review, actor=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, _message(exc))
    if raised is not None and not _is_htmx(request):
        messages.success(request, f"Action item {raised.ticket.reference} raised in {review.queue.name}.")
        return redirect(f"{review.get_absolute_url()}#actions")
    context = _detail_context(request, review, None if raised else form) | {"raised": raised}
    status = 400 if form.errors else 200
    return render(
        request, "readiness/_actions.html" if _is_htmx(request) else "readiness/detail.html", context, status=status
    )


@login_required
@require_POST
def review_submit(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_detail(user=request.user, review_id=review_id)
    try:
        review = services.review_submit(review=review, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if review.status == Review.Status.COMPLETED:
            messages.success(request, "Review submitted and complete: it has no open action items.")
        else:
            messages.success(request, "Review submitted; it completes when its action items are closed.")
    return redirect(review)


@login_required
@require_POST
def review_take(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_detail(user=request.user, review_id=review_id)
    try:
        review = services.review_take(review=review, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "You own this review now.")
    return redirect(review)


@login_required
@require_GET
def review_summary(request: HttpRequest, review_id: int) -> HttpResponse:
    """Readable and printable: risks by pillar, the risky answers, the open actions, then every answer."""
    review = selectors.review_detail(user=request.user, review_id=review_id)
    answers = selectors.review_answers(review=review)
    context = {
        "review": review,
        "risks_by_pillar": selectors.review_risks_by_pillar(review=review),
        "answers": answers,
        "risky": [a for a in answers if a.risk in (Risk.HIGH, Risk.MEDIUM)],
        "actions": selectors.review_actions(review=review, user=request.user),
        "today": timezone.localdate(),
    }
    return render(request, "readiness/summary.html", context)


@login_required
@require_GET
def readiness_panel(request: HttpRequest) -> HttpResponse:
    """The manager dashboard's readiness panel, loaded by hx-get with the dashboard's own filters."""
    if not request.user.has_perm("tickets.view_dashboards"):
        raise Http404("No such page.")
    scope = KpiFilterForm(request.GET).scope()
    panel = selectors.readiness_panel(user=request.user, account=scope.account, environment=scope.environment)
    return render(request, "readiness/panel.html", panel)
