"""The benchmark serves no pages; social-auth's settings lookup needs a URLconf to exist."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
