"""The functions template.yaml deploys, as the cold-import bench needs them.

Read with cfn-lint's decoder (as local/deploy.py does), so a function added to the
template is benchmarked without touching bench/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.template import TEMPLATE, load_template

FUNCTION = "AWS::Serverless::Function"
# Event sources whose functions must use Powertools BatchProcessor (STYLE.md, DESIGN.md §1).
STREAM_EVENTS = {"DynamoDB", "Kinesis", "SQS"}


@dataclass(frozen=True)
class Function:
    name: str  # the logical id, e.g. AccountsFunction
    handler: str  # functions.accounts.handler.handler
    http: bool  # has an event of Type: Api
    stream: bool = False  # fed by a stream or queue (Powertools BatchProcessor)

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def kind(self) -> str:
        if self.http:
            return "http"
        return "stream" if self.stream else "non-http"


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return load_template(path.read_text(encoding="utf-8"))


def _function_globals(template: dict[str, Any]) -> dict[str, Any]:
    return dict((template.get("Globals") or {}).get("Function") or {})


def functions(template: dict[str, Any]) -> list[Function]:
    """Every AWS::Serverless::Function, in template order."""
    default_handler = _function_globals(template).get("Handler")
    found = []
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != FUNCTION:
            continue
        properties = resource.get("Properties") or {}
        handler = properties.get("Handler", default_handler)
        if not isinstance(handler, str) or "." not in handler:
            raise ValueError(f"{name}: Handler {handler!r} is not <module>.<function>")
        events = (properties.get("Events") or {}).values()
        kinds = {event.get("Type") for event in events}
        found.append(Function(name, handler, "Api" in kinds, bool(kinds & STREAM_EVENTS)))
    return found


def environment_names(template: dict[str, Any]) -> set[str]:
    """The variables the template gives any function (Globals and each function's own)."""
    blocks = [_function_globals(template)]
    blocks += [
        resource.get("Properties") or {}
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") == FUNCTION
    ]
    names: set[str] = set()
    for block in blocks:
        names.update(((block.get("Environment") or {}).get("Variables") or {}).keys())
    return names
