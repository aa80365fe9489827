"""docs/security.md matches the code: generated sections, every resource and role it names."""

from __future__ import annotations

import re

import pytest

from local import security_doc
from local.template import load_template
from shared.orgs.roles import ROLES

TEXT = security_doc.DOC.read_text(encoding="utf-8")
RESOURCES = load_template()["Resources"]
# Backticked logical ids the doc names: tables, KMS keys, functions, queues, alarms...
NAMED = re.compile(
    r"`([A-Z][A-Za-z0-9]*(?:Table|Key|Function|Queue|Topic|Bucket|StateMachine|Secret"
    r"|Alarm|Group|DeadLetters|Failures|Events))`"
)


def _between(start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), TEXT, re.S)
    assert match, f"docs/security.md has no {start} ... {end}"
    return match[1]


def _of_type(kind: str) -> set[str]:
    return {name for name, r in RESOURCES.items() if r["Type"] == kind}


@pytest.mark.parametrize("name", sorted(security_doc.SECTIONS))
def test_each_generated_section_is_in_the_doc_and_up_to_date(name: str) -> None:
    # Given the doc's generated sections as committed
    committed = security_doc.sections_in(TEXT)
    # Then each is present and is what the code generates now
    assert name in committed, f"no <!-- generated: {name} --> section"
    assert committed[name] == security_doc.SECTIONS[name](), (
        f"section {name} is stale: run python -m local.security_doc"
    )


def test_rendering_the_doc_changes_nothing() -> None:
    assert security_doc.render(TEXT) == TEXT


def test_every_resource_the_doc_names_exists_in_the_template() -> None:
    named = set(NAMED.findall(TEXT))
    assert named, "the pattern found no resource names at all"
    assert sorted(named - RESOURCES.keys()) == []


def test_the_doc_names_both_kms_keys_and_nothing_else_as_a_key() -> None:
    keys = {n for n in NAMED.findall(TEXT) if n.endswith("Key")}
    assert keys == _of_type("AWS::KMS::Key")


def test_the_roles_listed_are_exactly_the_roles_and_the_cognito_groups() -> None:
    # Given the doc's marked list of roles
    listed = re.findall(r"^- `([a-z_]+)`", _between("<!-- roles -->", "<!-- end roles -->"), re.M)
    groups = {
        r["Properties"]["GroupName"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    # Then it names every role once, and each is a Cognito group of the template
    assert sorted(listed) == sorted(ROLES)
    assert set(listed) == groups


def test_every_role_column_of_the_matrix_is_a_role() -> None:
    assert set(security_doc.ROLE_COLUMNS) == set(ROLES)


def test_every_table_is_classified_once_and_only_tables_are() -> None:
    # Given the first column of the data classification table
    section = _between("<!-- classification -->", "<!-- end classification -->")
    rows = re.findall(r"^\| `([A-Za-z0-9]+)` \|", section, re.M)
    # Then it holds each DynamoDB table of the template exactly once
    assert len(rows) == len(set(rows)), "a table is classified twice"
    assert sorted(rows) == sorted(_of_type("AWS::DynamoDB::Table"))


def test_the_sealing_section_names_every_purpose_the_code_uses() -> None:
    # Given the purposes the code seals under (shared/vault.py callers, direct Encrypts)
    from functions.appointments.keys import PURPOSE as appointments
    from functions.checkins.repository import PURPOSE as checkins
    from functions.crisis.logic import PURPOSE as crisis
    from functions.journal.vault import PURPOSE as journal
    from functions.peer.keys import PURPOSE as peer
    from functions.screenings.repository import PURPOSE as screenings
    from shared.crisis.signal_seal import PURPOSE as crisis_signal
    from shared.peer_share import PURPOSE as peer_share

    used = {appointments, checkins, crisis, journal, peer, screenings, crisis_signal, peer_share}
    # Then the template grants each, and grants no other
    granted = {purpose for purpose, _ in security_doc.sealing_grants(load_template())}
    assert granted == used


def test_a_stale_section_is_rewritten_and_an_unknown_one_refused() -> None:
    stale = "<!-- generated: sealing -->\nold\n<!-- end generated -->\n"
    assert "old" not in security_doc.render(stale)
    with pytest.raises(KeyError):
        security_doc.render("<!-- generated: nope -->\n<!-- end generated -->\n")
