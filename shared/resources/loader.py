"""Reading the directory from JSON files, with one readable error per problem.

Each `*.json` file in the folder (except `schema.json`, the JSON Schema of one entry)
holds `{"resources": [ ... ]}`. Errors name the file, the entry and the field, e.g.
`cn.json: resources[2] (cn-12356).contact.phone: must be a short code ...`, so whoever
edits the data can fix it without reading code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.resources.model import Resource

SCHEMA_FILE = "schema.json"
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "resources"


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


class _Unreadable(Exception):
    pass


def _entries(path: Path) -> list[Any]:
    """The "resources" list of a data file; _Unreadable with the message if there is none."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _Unreadable(f"{path.name}: unreadable JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise _Unreadable(f'{path.name}: the file must be an object with a "resources" list')
    extra = sorted(set(document) - {"resources"})
    if extra:
        raise _Unreadable(f"{path.name}: unexpected top-level keys {', '.join(extra)}")
    return document["resources"]


def load_directory(folder: Path, *, today: date | None = None) -> tuple[list[Resource], list[str]]:
    """The valid resources of every data file in `folder`, and one message per problem.

    Files are read in name order; an id seen before is reported and the later entry
    dropped. `today` fixes the date that `last_verified` may not pass (default: now).
    """
    context = {"today": today} if today is not None else None
    resources: list[Resource] = []
    errors: list[str] = []
    first_seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == SCHEMA_FILE:
            continue
        try:
            entries = _entries(path)
        except _Unreadable as problem:
            errors.append(str(problem))
            continue
        for index, entry in enumerate(entries):
            raw_id = entry.get("id") if isinstance(entry, dict) else None
            label = (
                f"{path.name}: resources[{index}] ({raw_id if isinstance(raw_id, str) else '?'})"
            )
            try:
                resource = Resource.model_validate(entry, context=context)
            except ValidationError as error:
                errors.extend(
                    f"{label}{_field_path(e['loc'])}: {_message(e)}" for e in error.errors()
                )
                continue
            if resource.id in first_seen:
                errors.append(
                    f"{label}.id: duplicate id, first defined in {first_seen[resource.id]}"
                )
                continue
            first_seen[resource.id] = f"{path.name} resources[{index}]"
            resources.append(resource)
    return resources, errors


@cache
def bundled_resources() -> tuple[Resource, ...]:
    """The directory shipped with the code (data/resources/); ValueError if any entry is bad."""
    resources, errors = load_directory(BUNDLED_DIR)
    if errors:
        raise ValueError("The bundled resource directory has errors:\n" + "\n".join(errors))
    return tuple(resources)


def schema() -> dict[str, Any]:
    return Resource.model_json_schema()


def write_schema(path: Path) -> None:
    """Write the JSON Schema of one directory entry (what each item of "resources" must be)."""
    path.write_text(json.dumps(schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
