"""The sign-in and consent pages, rendered from templates/base.html with every value escaped."""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Mapping
from importlib import resources
from string import Template

from django_civitai_auth.emulator.avatars import avatar_initials, avatar_path
from django_civitai_auth.emulator.config import DemoUser, RegisteredApp
from django_civitai_auth.scopes import Scope

LOGIN_PATH = "/login"


@functools.cache
def _base() -> Template:
    source = resources.files(__package__).joinpath("templates/base.html").read_text("utf-8")
    return Template(source)


def _page(title: str, content: str) -> str:
    return _base().substitute(title=html.escape(title), content=content)


def _hidden(fields: Mapping[str, str]) -> str:
    return "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )


def _avatar(user: DemoUser) -> str:
    """The emulator's own avatar, or initials: these pages load nothing from elsewhere."""
    if user.local_avatar:
        return f'<img class="avatar" src="{avatar_path(user.id)}" alt="" width="40" height="40">'
    initials = html.escape(avatar_initials(user.username))
    return f'<span class="avatar" aria-hidden="true">{initials}</span>'


def _account_detail(user: DemoUser) -> str:
    """What sets this demo account apart, so a newcomer knows which one to try."""
    if not user.email:
        return "No email on the account"
    status = "verified" if user.email_verified else "not verified"
    return f"{html.escape(user.email)} ({status})"


def sign_in_page(users: Iterable[DemoUser], return_url: str) -> str:
    """One button per demo user; the form posts ``user_id`` and ``return_url`` to /login."""
    rows = "\n".join(
        f"""<li class="account">{_avatar(user)}
<span class="who"><strong>{html.escape(user.username)}</strong>
<span class="detail" id="account-{user.id}">{_account_detail(user)}</span></span>
<button class="primary" type="submit" name="user_id" value="{user.id}" \
aria-describedby="account-{user.id}">Sign in as {html.escape(user.username)}</button></li>"""
        for user in users
    )
    content = f"""<h1>Sign in to Civitai</h1>
<p>Choose a demo account. Each one shows a different case your site should handle.</p>
<form method="post" action="{LOGIN_PATH}" aria-label="Sign in">
{_hidden({"return_url": return_url})}
<ul class="users" aria-label="Demo accounts">
{rows}
</ul>
</form>"""
    return _page("Sign in", content)


def consent_page(
    app: RegisteredApp,
    user: DemoUser,
    scope: int,
    params: Mapping[str, str],
    *,
    action: str,
    switch_account_url: str,
) -> str:
    """Names each requested scope by its Civitai label; posts ``decision`` and ``remember``.

    ``switch_account_url`` leads back to the sign-in page: without it a browser stays signed in
    as the first account it chose, and the other demo accounts could never be tried.
    """
    items = "\n".join(
        f"<li>{html.escape(single.label)}</li>"
        for single in Scope.single_scopes()
        if single & scope
    )
    content = f"""<h1>{html.escape(app.name)} wants to access your Civitai account</h1>
<p class="signed-in">{_avatar(user)}
<span>Signed in as <strong>{html.escape(user.username)}</strong>.
<a href="{html.escape(switch_account_url)}">Use another account</a></span></p>
<p>This app will be able to:</p>
<ul class="scopes" aria-label="Requested permissions">
{items}
</ul>
<form method="post" action="{html.escape(action)}">
{_hidden(params)}
<label><input type="checkbox" name="remember" value="1"> Remember this decision</label>
<div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="note">You can remove this app from your Civitai account at any time.</p>"""
    return _page("Authorize app", content)
