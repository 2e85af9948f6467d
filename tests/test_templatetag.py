"""{% civitai_login_button %} renders a POST form to social-auth's begin view."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from django_civitai_auth.emulator import CivitaiEmulator
from tests.signin import complete_sign_in, signed_in_user


def render(source: str, secure: bool = False, **context: object) -> str:
    request = RequestFactory().get("/", secure=secure)
    template = Template("{% load civitai_auth %}" + source)
    return template.render(Context({"request": request, **context}))


def test_default_button_is_a_post_form_with_csrf() -> None:
    html = render("{% civitai_login_button %}")

    assert re.search(r'<form[^>]*method="post"[^>]*action="/login/civitai/"', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<button type="submit"' in html
    assert "Sign in with Civitai" in html
    assert 'name="next"' not in html


def test_next_and_label_are_rendered_escaped() -> None:
    # Values from variables, as a site passes them (template literals count as safe).
    html = render(
        "{% civitai_login_button next=target label=text %}",
        target="/profile/?a=1&b=2",
        text="Go <now>",
    )

    assert '<input type="hidden" name="next" value="/profile/?a=1&amp;b=2">' in html
    assert "Go &lt;now&gt;" in html


@pytest.mark.parametrize(
    "unsafe",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "http://testserver/x"],
)
def test_unsafe_next_is_dropped(unsafe: str) -> None:
    html = render(f'{{% civitai_login_button next="{unsafe}" %}}', secure=True)

    assert 'name="next"' not in html
    assert "evil" not in html


def test_same_host_absolute_next_is_kept() -> None:
    html = render('{% civitai_login_button next="http://testserver/profile/" %}')

    assert 'value="http://testserver/profile/"' in html


@pytest.mark.django_db
def test_button_form_signs_in_and_lands_on_next(civitai_site: CivitaiEmulator) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login-page/").content.decode()
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    action = re.search(r'action="([^"]+)"', page)
    assert action is not None

    response = client.post(action.group(1), fields)

    assert response.status_code == 302
    redirect = civitai_site.sign_in_and_authorize(response["Location"])
    done = complete_sign_in(client, redirect)
    assert done["Location"] == "/profile/"
    assert signed_in_user(client) is not None
