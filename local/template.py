"""template.yaml, parsed once the way CloudFormation reads it (cfn-lint's decoder: !Ref, !Sub ...).

The one reader of the template for the deploy, the timers, the bench and the tests.
"""

from __future__ import annotations

from typing import Any

from cfnlint.decode import decode_str

from local.requirements import ROOT

TEMPLATE = ROOT / "template.yaml"


def load_template(text: str | None = None) -> dict[str, Any]:
    """template.yaml (or `text`) as a dict; ValueError if it does not parse."""
    template, problems = decode_str(TEMPLATE.read_text(encoding="utf-8") if text is None else text)
    if problems or not isinstance(template, dict):
        raise ValueError(f"template.yaml does not parse: {problems}")
    return dict(template)
