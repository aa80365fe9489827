"""`make seed-resources`: validate data/resources/ and load it into the resources table.

Every bad entry is reported by file and field and nothing is loaded. Entries
whose content changed get a new `updated_at` (so apps syncing with
`updated_since` fetch them); public entries no longer in the files are removed.
Runs after every local deploy too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from local.deploy import aws_client
from local.requirements import ROOT
from local.stack import read
from shared.clock import system_clock, utc_iso
from shared.resources.loader import load_directory
from shared.resources.repository import PUBLIC, ResourcesRepository, document

DATA = ROOT / "data" / "resources"


def seed(client: Any, table: str, folder: Path = DATA, out: Any = sys.stdout) -> int:
    resources, errors = load_directory(folder)
    if errors:
        for error in errors:
            print(f"  invalid: {error}", file=out)
        print(f"{len(errors)} problem(s) in {folder}; nothing was loaded.", file=out)
        return 1
    repo = ResourcesRepository(client, table)
    existing = {r.id: r for r in repo.scope(PUBLIC)}
    stamp = utc_iso(system_clock())
    total = len(resources)
    for n, resource in enumerate(sorted(resources, key=lambda r: r.id), start=1):
        before = existing.pop(resource.id, None)
        if before is not None and document(before) == document(resource):
            state = "unchanged"
        else:
            repo.put(PUBLIC, resource.model_copy(update={"updated_at": stamp}))
            state = "added" if before is None else "updated"
        print(f"  [{n}/{total}] {resource.id}: {state}", file=out)
    for gone in existing:
        repo.delete(PUBLIC, gone)
        print(f"  removed {gone} (no longer in {folder.name}/)", file=out)
    print(f"resource directory: {total} entries loaded into {table}", file=out)
    return 0


def main() -> int:
    stack = read()
    client = aws_client("dynamodb", stack["aws_endpoint_url"], stack["region"])
    return seed(client, stack["tables"]["resources"])


if __name__ == "__main__":
    sys.exit(main())
