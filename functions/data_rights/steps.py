"""The data-rights workflow's own steps, around the features' export and erase handlers.

- `revoke`: refuse the member's tokens everywhere (the revoked table holds a hash
  of the subject), disable the Cognito user and sign out every session, so no new
  token can be had and refresh tokens stop working.
- `finish`: delete the Cognito user and write the pseudonymous audit record:
  the hashed subject, what each pass erased per feature, and the times.
- `bundle`: zip the features' parts of an export into one file and drop the parts.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from typing import Any

from shared.clock import Clock, utc_iso
from shared.data_rights import part_key
from shared.dynamo import to_item
from shared.revocation import revoke, subject_hash


def bundle_key(export_id: str) -> str:
    return f"{export_id}/export.zip"


class Steps:
    def __init__(
        self,
        db: Any,
        cognito: Any,
        s3: Any,
        *,
        user_pool_id: str,
        revoked_table: str,
        audit_table: str,
        export_bucket: str,
        clock: Clock,
    ) -> None:
        self._db = db
        self._cognito = cognito
        self._s3 = s3
        self._pool = user_pool_id
        self._revoked = revoked_table
        self._audit = audit_table
        self._bucket = export_bucket
        self._clock = clock

    def revoke(self, user_id: str, username: str) -> dict[str, Any]:
        now = self._clock()
        revoke(self._db, self._revoked, user_id, int(now.timestamp()))
        missing = self._cognito.exceptions.UserNotFoundException
        with contextlib.suppress(missing):  # a re-run after the user was deleted
            self._cognito.admin_disable_user(UserPoolId=self._pool, Username=username)
            self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        return {"revoked_at": utc_iso(now)}

    def finish(
        self, user_id: str, username: str, requested_at: str, passes: list[list[dict[str, Any]]]
    ) -> dict[str, Any]:
        with contextlib.suppress(self._cognito.exceptions.UserNotFoundException):
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=username)
        finished = utc_iso(self._clock())
        counts = [{r["feature"]: int(r["erased"]) for r in one_pass} for one_pass in passes]
        record = {
            "subject": subject_hash(user_id),
            "finished_at": finished,
            "kind": "erasure",
            "requested_at": requested_at,
            "passes": counts,
        }
        self._db.put_item(TableName=self._audit, Item=to_item(record))
        return {"finished_at": finished, "passes": counts}

    def bundle(self, export_id: str, features: list[str]) -> dict[str, Any]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for feature in sorted(features):
                part = self._s3.get_object(Bucket=self._bucket, Key=part_key(export_id, feature))
                archive.writestr(f"{feature}.json", part["Body"].read())
        key = bundle_key(export_id)
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=buffer.getvalue(), ContentType="application/zip"
        )
        for feature in features:
            self._s3.delete_object(Bucket=self._bucket, Key=part_key(export_id, feature))
        return {"key": key, "bytes": buffer.tell()}
