"""Grid's household register (户) as a read model, built from grid's household events: the
same tables wherever they are kept. Grid lists the register from its copy for the staff who
keep it; the issues service keeps its own copy to know whose online ballot counts for which
household and to weigh ballots by area (it never reads grid's tables)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from shared.bus.envelope import Envelope
from shared.projections.projection import Projection

REGISTERED = "gongzhi.household.registered.v1"
AREA_CHANGED = "gongzhi.household.area_changed.v1"
LINKED = "gongzhi.household.resident_linked.v1"
VERIFIED = "gongzhi.household.resident_verified.v1"
LEFT = "gongzhi.household.resident_left.v1"


class HouseholdsCopy(Projection):
    """Households (code, node, floor area) and their members (relation, verified). Each
    service that needs them keeps its own copy under its own schema."""

    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.households (
        code text PRIMARY KEY,
        node text NOT NULL,
        area numeric(12, 2) NOT NULL
    );
    CREATE INDEX IF NOT EXISTS households_node ON {schema}.households (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.members (
        code text NOT NULL,
        resident text NOT NULL,
        relation text NOT NULL,
        verified boolean NOT NULL DEFAULT false,
        PRIMARY KEY (code, resident)
    );
    CREATE INDEX IF NOT EXISTS members_resident ON {schema}.members (resident);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            d = e.data
            if e.type == REGISTERED:
                await conn.execute(
                    f"INSERT INTO {schema}.households VALUES ($1, $2, $3) "
                    f"ON CONFLICT (code) DO NOTHING", d["code"], d["node"], Decimal(d["area"]))
            elif e.type == AREA_CHANGED:
                await conn.execute(f"UPDATE {schema}.households SET area = $2 WHERE code = $1",
                                   d["household"], Decimal(d["area"]))
            elif e.type == LINKED:
                await conn.execute(
                    f"INSERT INTO {schema}.members (code, resident, relation) "
                    f"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    d["household"], d["resident"], d["relation"])
            elif e.type == VERIFIED:
                await conn.execute(f"UPDATE {schema}.members SET verified = true "
                                   f"WHERE code = $1 AND resident = $2",
                                   d["household"], d["resident"])
            elif e.type == LEFT:
                await conn.execute(f"DELETE FROM {schema}.members "
                                   f"WHERE code = $1 AND resident = $2",
                                   d["household"], d["resident"])
