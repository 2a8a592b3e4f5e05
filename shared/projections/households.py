"""Grid's household register (户) as a read model, built from grid's household events: the
same tables wherever they are kept. Grid lists the register from its copy for the staff who
keep it; the issues service keeps its own copy to know whose online ballot counts for which
household and to weigh ballots by area (it never reads grid's tables)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from contracts import read
from contracts.grid import (
    HouseholdAreaChanged,
    HouseholdRegistered,
    HouseholdResidentLeft,
    HouseholdResidentLinked,
    HouseholdResidentVerified,
)
from shared.bus.envelope import Envelope
from shared.projections.projection import Projection


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
            match p := read(e, HouseholdRegistered, HouseholdAreaChanged,
                            HouseholdResidentLinked, HouseholdResidentVerified,
                            HouseholdResidentLeft):
                case HouseholdRegistered():
                    await conn.execute(
                        f"INSERT INTO {schema}.households VALUES ($1, $2, $3) "
                        f"ON CONFLICT (code) DO NOTHING", p.code, p.node, Decimal(p.area))
                case HouseholdAreaChanged():
                    await conn.execute(
                        f"UPDATE {schema}.households SET area = $2 WHERE code = $1",
                        p.household, Decimal(p.area))
                case HouseholdResidentLinked():
                    await conn.execute(
                        f"INSERT INTO {schema}.members (code, resident, relation) "
                        f"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        p.household, p.resident, p.relation)
                case HouseholdResidentVerified():
                    await conn.execute(f"UPDATE {schema}.members SET verified = true "
                                       f"WHERE code = $1 AND resident = $2",
                                       p.household, p.resident)
                case HouseholdResidentLeft():
                    await conn.execute(f"DELETE FROM {schema}.members "
                                       f"WHERE code = $1 AND resident = $2",
                                       p.household, p.resident)
