"""docs/api/ matches the code: the OpenAPI files, the template's routes and the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from local.openapi import DOCS_API, FUNCTIONS, export, render
from shared.errors import DomainError
from shared.vocabulary import EMOTIONS

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# Problem types made by shared/http.py itself rather than by a DomainError.
HTTP_PROBLEM_TYPES = (
    "malformed-request",
    "invalid-input",
    "not-found",
    "method-not-allowed",
    "internal-error",
    "payload-too-large",
)


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return export()


@pytest.fixture(scope="module")
def template_routes() -> dict[str, set[tuple[str, str]]]:
    """(METHOD, path) of every Api event, per function (named from its Handler)."""
    template, problems = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not problems, problems
    routes: dict[str, set[tuple[str, str]]] = {}
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        module = str(properties["Handler"]).rpartition(".")[0]  # functions.<name>.handler
        name = next((n for n, (handler, _) in FUNCTIONS.items() if handler == module), module)
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") == "Api":
                event_properties = event["Properties"]
                routes.setdefault(name, set()).add(
                    (str(event_properties["Method"]).upper(), str(event_properties["Path"]))
                )
    return routes


def documented_routes(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, operations in document["paths"].items():
        for method in operations:
            if method in HTTP_METHODS:
                yield method.upper(), path


@pytest.mark.parametrize("name", FUNCTIONS)
def test_committed_openapi_document_matches_the_code(
    name: str, documents: dict[str, dict[str, Any]]
) -> None:
    # Given the committed document of one function
    committed = (DOCS_API / f"{name}.json").read_text(encoding="utf-8")
    # When the document is generated from the code now
    fresh = render(documents[name])
    # Then they are identical
    assert committed == fresh, "run `.venv/bin/python -m local.openapi`"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_documented_route_is_an_api_event_of_that_function(
    name: str,
    documents: dict[str, dict[str, Any]],
    template_routes: dict[str, set[tuple[str, str]]],
) -> None:
    # Given the routes the function's code documents
    documented = set(documented_routes(documents[name]))
    # When compared with the function's Api events in template.yaml
    missing_from_template = documented - template_routes[name]
    # Then API Gateway sends every one of them to this function
    assert documented
    assert not missing_from_template, (
        f"routes with no Api event in template.yaml: {missing_from_template}"
    )


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_api_event_of_the_function_is_a_documented_route(
    name: str,
    documents: dict[str, dict[str, Any]],
    template_routes: dict[str, set[tuple[str, str]]],
) -> None:
    # Given the function's Api events in template.yaml
    events = template_routes[name]
    # When compared with the routes the code documents
    undocumented = events - set(documented_routes(documents[name]))
    # Then the function answers every route API Gateway sends to it
    assert not undocumented, f"Api events the code does not serve: {undocumented}"


def domain_error_types(cls: type[DomainError] = DomainError) -> Iterator[str]:
    yield cls.type_slug
    for sub in cls.__subclasses__():
        yield from domain_error_types(sub)


def test_readme_lists_every_problem_type() -> None:
    # Given the API README
    readme = (DOCS_API / "README.md").read_text(encoding="utf-8")
    # When every problem type the code can produce is looked for
    types = set(domain_error_types()) | set(HTTP_PROBLEM_TYPES)
    missing = sorted(t for t in types if f"`{t}`" not in readme)
    # Then each is documented
    assert not missing, f"docs/api/README.md does not document: {missing}"


def test_readme_lists_the_emotion_vocabulary() -> None:
    # Given the API README
    readme = (DOCS_API / "README.md").read_text(encoding="utf-8")
    # When every emotion code is looked for
    missing = [e for e in EMOTIONS if f"`{e}`" not in readme]
    # Then each is documented
    assert not missing, f"docs/api/README.md does not list the emotions: {missing}"
