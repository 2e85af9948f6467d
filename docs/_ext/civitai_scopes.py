"""Sphinx directives that render Civitai's scopes from django_civitai_auth.scopes at build time.

The tables in docs/scopes.rst come from ``Scope`` and ``SCOPE_LABELS`` themselves, so a scope
added to the code appears in the docs without anyone editing them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from django_civitai_auth.scopes import Scope

# The presets Civitai's docs name, in the order the docs list them.
PRESETS: tuple[Scope, ...] = (Scope.Full, Scope.ReadOnly, Scope.Creator, Scope.AIServices)


def scope_rows() -> list[tuple[str, str, str, str]]:
    """One row per single scope: name, bit, decimal value, consent-screen label."""
    return [
        (
            f"``{scope.name}``",
            str(int(scope).bit_length() - 1),
            f"``{int(scope)}``",
            scope.label,
        )
        for scope in Scope.single_scopes()
    ]


def preset_rows() -> list[tuple[str, str, str]]:
    """One row per preset: name, decimal value, the single scopes it holds."""
    return [
        (
            f"``{preset.name}``",
            f"``{int(preset)}``",
            ", ".join(preset.names()),
        )
        for preset in PRESETS
    ]


def list_table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        first, *rest = row
        lines.append(f"   * - {first}")
        lines.extend(f"     - {cell}" for cell in rest)
    return lines


class _TableDirective(SphinxDirective):
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def table_lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        source = self.get_source_info()[0] or "<civitai_scopes>"
        self.state.nested_parse(StringList(self.table_lines(), source=source), 0, container)
        return list(container.children)


class ScopeTable(_TableDirective):
    """``.. civitai-scope-table::`` -- every single scope Civitai defines."""

    def table_lines(self) -> list[str]:
        return list_table(
            ("Name", "Bit", "Value", "Civitai's consent screen says"),
            scope_rows(),
            "25 8 15 52",
        )


class PresetTable(_TableDirective):
    """``.. civitai-scope-presets::`` -- the presets Civitai's docs name."""

    def table_lines(self) -> list[str]:
        return list_table(("Preset", "Value", "Holds"), preset_rows(), "15 15 70")


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("civitai-scope-table", ScopeTable)
    app.add_directive("civitai-scope-presets", PresetTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
