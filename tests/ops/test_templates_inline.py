"""The portal's page templates carry no inline style attributes, event handlers or inline
scripts (a Content-Security-Policy can then forbid them); e-mail templates are exempt, since
mail clients need inline styles."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(r'\sstyle="|\son[a-z]+="|<script(?![^>]*\ssrc=)[^>]*>', re.IGNORECASE)


def _page_templates() -> list[Path]:
    found = []
    for path in ROOT.glob("**/templates/**/*.html"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "var", "node_modules") or "emails" in parts:
            continue
        found.append(path)
    return found


def test_page_templates_have_no_inline_styles_or_scripts() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in _page_templates()
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(_page_templates()) > 20
    assert offenders == []
