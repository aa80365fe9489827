"""The generated parts of docs/security.md: `python -m local.security_doc` rewrites them.

Each generated part sits between `<!-- generated: <name> -->` and `<!-- end generated -->`
and is made from the code, never by hand:

- `authorization`: the route table of tests/support/authorization.py (POLICY), with the
  function that serves each route (docs/api/*.json) and what each role may do there.
- `sealing`: every grant on `SealingKey` in template.yaml, by purpose (the
  `kms:EncryptionContext:purpose` condition) and function.
- `at-rest`: every resource template.yaml encrypts with `DataKey`.

`--check` changes nothing and exits 1 when the document is out of date
(tests/unit/test_security_doc.py asserts the same).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from local.requirements import ROOT
from local.template import load_template

DOC = ROOT / "docs" / "security.md"
MARK = re.compile(
    r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S
)

LISTED_AT_MOST = 16  # longer lists of one type are summed up, not named
ROLE_COLUMNS = ("member", "peer_supporter", "counsellor", "org_admin")
# What a role may do on a route, by access kind (tests/support/authorization.py).
#   any: no token needed; all: any signed-in user; own: their own data only;
#   org: the target must be of their own organisation; -: refused.
_CELLS: dict[str, tuple[str, str, str, str]] = {
    "public": ("any", "any", "any", "any"),
    "signed_in": ("all", "all", "all", "all"),
    "self": ("own", "own", "own", "own"),
    "member": ("own", "-", "-", "-"),
    "in_org": ("org", "org", "org", "org"),
    "peer_supporter": ("-", "own", "-", "-"),
    "party": ("own", "own", "-", "-"),
    "staff": ("-", "-", "org", "org"),
    "admin": ("-", "-", "-", "org"),
    "counsellor": ("-", "-", "own", "-"),
}


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def authorization() -> str:
    """The authorisation matrix: one row per POLICY rule, in POLICY order."""
    from tests.support.authorization import POLICY, documented_routes

    served_by = {(r.method, r.path): r.function for r in documented_routes()}
    rows = []
    for rule in POLICY:
        cells = _CELLS[rule.access]
        refusal = "-" if rule.access in ("public", "signed_in") else str(rule.refusal)
        rows.append(
            (
                f"`{rule.method} {rule.path}`",
                served_by.get(rule.key, "?"),
                f"`{rule.access}`" + (" (upsert)" if rule.upsert else ""),
                *cells,
                refusal,
            )
        )
    header = ("route", "served by", "access", *(f"`{r}`" for r in ROLE_COLUMNS), "refusal")
    return _table(header, rows)


def _statements(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in resource.get("Properties", {}).get("Policies") or []:
        if isinstance(policy, dict):
            yield from policy.get("Statement") or []


def _names(resource: Any) -> set[str]:
    """Logical ids a policy statement's Resource refers to (!Ref / !GetAtt)."""
    found: set[str] = set()
    if isinstance(resource, dict):
        for key, value in resource.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            else:
                found |= _names(value)
    elif isinstance(resource, list):
        for value in resource:
            found |= _names(value)
    return found


def sealing_grants(template: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(purpose, function) -> the KMS actions the function may take on SealingKey."""
    grants: dict[tuple[str, str], set[str]] = {}
    for name, resource in template["Resources"].items():
        for statement in _statements(resource):
            if "SealingKey" not in _names(statement.get("Resource")):
                continue
            condition = (statement.get("Condition") or {}).get("StringEquals") or {}
            purpose = str(condition.get("kms:EncryptionContext:purpose", "(any purpose)"))
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            grants.setdefault((purpose, name), set()).update(actions)
    return grants


def sealing() -> str:
    grants = sealing_grants(load_template())
    columns = ("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt")
    rows = [
        (
            f"`{purpose}`",
            f"`{function}`",
            *("yes" if action in actions else "-" for action in columns),
        )
        for (purpose, function), actions in sorted(grants.items())
    ]
    return _table(("purpose", "function", *(f"`{c}`" for c in columns)), rows)


def _uses_data_key(properties: dict[str, Any]) -> str | None:
    """Where a resource names DataKey for its own encryption at rest, or None."""
    for field in ("SSESpecification", "KmsKeyId", "KmsMasterKeyId", "BucketEncryption"):
        if field in properties and "DataKey" in _names(properties[field]):
            return field
    return None


def at_rest() -> str:
    resources = load_template()["Resources"]
    kinds: dict[str, list[str]] = {}
    for name, resource in resources.items():
        if _uses_data_key(resource.get("Properties") or {}):
            kinds.setdefault(resource["Type"], []).append(name)
    rows = []
    for kind, names in sorted(kinds.items()):
        of_kind = sum(1 for r in resources.values() if r["Type"] == kind)
        if len(names) > LISTED_AT_MOST and len(names) == of_kind:
            listed = "every one in template.yaml"
        else:
            listed = ", ".join(f"`{n}`" for n in sorted(names))
        rows.append((f"`{kind}`", f"{len(names)} of {of_kind}", listed))
    return _table(("type", "with DataKey", "resources"), rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "authorization": authorization,
    "sealing": sealing,
    "at-rest": at_rest,
}


def render(text: str) -> str:
    """`text` with every generated section made afresh; KeyError for an unknown section."""
    made: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in made:
            made[name] = SECTIONS[name]()
        return match[1] + made[name] + match[4]

    return MARK.sub(replace, text)


def sections_in(text: str) -> dict[str, str]:
    """The generated sections of `text` by name, as they stand."""
    return {m["name"]: m["body"] for m in MARK.finditer(text)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    fresh = render(text)
    if "--check" in args:
        if fresh != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python -m local.security_doc")
            return 1
        return 0
    if fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
