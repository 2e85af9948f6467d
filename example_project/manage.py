#!/usr/bin/env python
"""Django's command-line utility for the example site."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    # The site is the package example_project: its parent (the repository) must be importable,
    # and this folder itself must not be, or its modules would shadow top-level ones.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
