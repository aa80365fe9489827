"""The statistics feature's export and erase, run by the data-rights workflow (no HTTP).

The stats table names a member only in their own partition, `member#<user_id>` (keys.py):
one item per local day their check-in was counted (`d#<day>`: the organisation, unit,
mood and risk tier it added to the counters) and one per ISO week and month (`w#…`,
`m#…`: how many of their days each unit counted, so a member counts once a period).
The counters (`stats#<org_id>`) and the cases' markers (`case#<case_id>`) name no one.

- **Export** (`stats.json`): the days counted (`counted_days`: date, unit, mood, tier),
  with a sentence saying what they are. They are bookkeeping, but they are about the
  member: a copy of each counted check-in's mood and tier, so they are exported. The
  week and month items only repeat those days by period and are not; a day item that
  no longer counts anything (its check-in was removed: only a replay marker) is not.
- **Erase**: the member's partition, whole. The counters stay: they are sums that name
  no one. Whether they still include the member's days depends on which ran first: the
  check-ins' erasure reaches the aggregator through the stream, and a removal it sees
  while the day item is still there takes the day out of the counters (and leaves a
  replay marker naming the member, which this erasure's second pass removes); one it
  sees after this erasure finds nothing and changes nothing. Safe to repeat.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.stats.keys import DAY, member_pk
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, query_partition
from shared.settings import BaseSettings

COUNTED_FIELDS = ("unit", "mood", "tier")
COUNTED_NOTE = (
    "Each day listed, your check-in was counted, without your name, into your "
    "organisation's statistics (how many check-ins, the moods and risk levels, by unit and "
    "day). If you erase your account this list is deleted; the totals name no one and stay."
)


class StatsDataSettings(BaseSettings):
    stats_table: str


class StatsData:
    feature = "stats"

    def __init__(self, db: Any, table: str) -> None:
        self._db = db
        self._table = table

    def export(self, user_id: str) -> dict[str, Any]:
        days = [
            {"date": str(i["sk"]).removeprefix(f"{DAY}#")}
            | {name: i[name] for name in COUNTED_FIELDS if i.get(name) is not None}
            for i in query_partition(self._db, self._table, "pk", member_pk(user_id))
            if str(i["sk"]).startswith(f"{DAY}#") and "unit" in i
        ]
        return {"counted_days": days, "what": COUNTED_NOTE}

    def erase(self, user_id: str) -> int:
        return delete_partition(self._db, self._table, "pk", "sk", member_pk(user_id))


@cache
def feature_data() -> FeatureData:
    from shared.settings import settings

    return StatsData(aws.client("dynamodb"), settings(StatsDataSettings).stats_table)


handler = data_rights_handler(feature_data)
