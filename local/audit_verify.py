"""Check one organisation's audit chain: `make audit-verify ORG=<id>`.

    python -m local.audit_verify ORG [--stack .local/stack.json]
    python -m local.audit_verify ORG --table NAME [--region REGION]

With a stack file (the default) it reads the running local cloud; with `--table` it
reads that table with the AWS credentials and region of the environment. Exit 0 when
the chain is intact, 1 (and the first broken link on stderr) when it is not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shared.audit import verify_org


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.audit_verify",
        description="Check the hash chain of one organisation's audit log.",
    )
    parser.add_argument("org", help="the organisation id")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--stack", type=Path, help="stack file of the local cloud (default .local/stack.json)"
    )
    where.add_argument("--table", help="audit table on AWS, with the environment's credentials")
    parser.add_argument("--region", help="with --table: the region (default: the environment's)")
    return parser


def _client_and_table(args: argparse.Namespace) -> tuple[Any, str]:
    if args.table:
        import boto3

        return boto3.client("dynamodb", region_name=args.region), args.table
    from local.deploy import aws_client
    from local.stack import STACK_FILE, read

    path = args.stack or STACK_FILE
    stack = read(path)
    table = stack.get("tables", {}).get("audit")
    if not table:
        raise SystemExit(f"{path} names no audit table: deploy the stack again (`make run`).")
    return aws_client("dynamodb", stack["aws_endpoint_url"], stack["region"]), str(table)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client, table = _client_and_table(args)
    report = verify_org(client, table, args.org)
    if report.ok:
        print(f"audit chain of {args.org}: {report.checked} records, intact")
        return 0
    print(
        f"audit chain of {args.org}: BROKEN at record {report.broken_seq}: {report.reason}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
