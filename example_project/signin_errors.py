"""Friendly words for a sign-in that did not complete, chosen by social-core's error metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SignInProblem:
    title: str
    explanation: str
    what_to_do: str
    can_retry: bool = True


DECLINED = SignInProblem(
    title="You didn't allow access",
    explanation=(
        "You pressed Deny on Civitai's consent page, so Civitai shared nothing with this site "
        "and you are not signed in."
    ),
    what_to_do="Changed your mind? Sign in again and choose Approve.",
)
RESTART = SignInProblem(
    title="That sign-in link has expired",
    explanation=(
        "A sign-in can be completed once, within a few minutes, in the browser that started "
        "it. This one was already used, took too long, or came from another browser."
    ),
    what_to_do="Start again with the button below; it only takes a moment.",
)
UNAVAILABLE = SignInProblem(
    title="Civitai is unavailable",
    explanation="Civitai could not be reached or did not answer in time, so sign-in stopped.",
    what_to_do="Wait a minute and try again.",
)
MISCONFIGURED = SignInProblem(
    title="This site's Civitai setup needs attention",
    explanation="Civitai refused this site's sign-in request, so it is probably misconfigured.",
    what_to_do=(
        "If you run this site, check the client id, secret, scopes and redirect URI registered "
        "on Civitai. Otherwise, please try again later."
    ),
    can_retry=False,
)
UNKNOWN = SignInProblem(
    title="Sign-in didn't complete",
    explanation="Something went wrong between this site and Civitai.",
    what_to_do="Please try again. If it keeps happening, let the site's owner know.",
)

_BY_CODE = {"authorization_declined": DECLINED, "access_denied": DECLINED}
_BY_RECOVERY = {
    "restart_login": RESTART,
    "reauthenticate": RESTART,
    "retry_later": UNAVAILABLE,
    "contact_administrator": MISCONFIGURED,
}


def describe(params: Mapping[str, str]) -> SignInProblem:
    """The problem SocialAuthExceptionMiddleware reported in the error page's query string."""
    code = params.get("error_code", "")
    if code in _BY_CODE:
        return _BY_CODE[code]
    return _BY_RECOVERY.get(params.get("error_recovery", ""), UNKNOWN)
