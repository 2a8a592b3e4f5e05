"""The party organisation on the tier tree and each compound's co-governance bodies, as a
compound page shows them (一个中心 三方共治); secretaries with their time in office."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from contracts import read
from contracts.grid import (
    CoGovernanceBodyEnded,
    CoGovernanceBodyFormed,
    CoGovernanceBodyRenewed,
    PartyOrganisationDissolved,
    PartyOrganisationEstablished,
    PartyOrganisationSecretaryChanged,
)
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection
from shared.tiers import ancestors_and_self, subtree_like


class Party(Projection):
    schema = "grid_party"
    streams = ("grid",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.organisations (
        node text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        secretary text NOT NULL,
        secretary_person text NOT NULL DEFAULT '',
        secretary_since timestamptz NOT NULL,
        active boolean NOT NULL DEFAULT true,
        PRIMARY KEY (node, kind)
    );
    CREATE INDEX IF NOT EXISTS organisations_node
        ON {schema}.organisations (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.secretaries (
        node text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        person text NOT NULL DEFAULT '',
        since timestamptz NOT NULL,
        until timestamptz,
        PRIMARY KEY (node, kind, since)
    );
    CREATE TABLE IF NOT EXISTS {schema}.bodies (
        node text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        term_from date NOT NULL,
        term_to date NOT NULL,
        contact text NOT NULL DEFAULT '',
        active boolean NOT NULL DEFAULT true,
        PRIMARY KEY (node, kind)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            p, at = read(e, *_READS), business_time(e)
            match p:
                case PartyOrganisationEstablished(secretary=s):
                    await conn.execute(
                        f"INSERT INTO {schema}.organisations (node, kind, name, secretary,"
                        f" secretary_person, secretary_since) VALUES ($1, $2, $3, $4, $5, $6)"
                        f" ON CONFLICT DO NOTHING",
                        p.node, p.kind, p.name, s["name"], s.get("person", ""), at)
                    await _took_office(conn, schema, p.node, p.kind, s, at)
                case PartyOrganisationSecretaryChanged(node=node, kind=kind, secretary=s):
                    await conn.execute(
                        f"UPDATE {schema}.secretaries SET until = $3 WHERE node = $1 AND "
                        f"kind = $2 AND until IS NULL", node, kind, at)
                    await _took_office(conn, schema, node, kind, s, at)
                    await conn.execute(
                        f"UPDATE {schema}.organisations SET secretary = $3, "
                        f"secretary_person = $4, secretary_since = $5 WHERE node = $1 AND "
                        f"kind = $2", node, kind, s["name"], s.get("person", ""), at)
                case PartyOrganisationDissolved(node=node, kind=kind):
                    await conn.execute(f"UPDATE {schema}.organisations SET active = false"
                                       f" WHERE node = $1 AND kind = $2", node, kind)
                    await conn.execute(
                        f"UPDATE {schema}.secretaries SET until = $3 WHERE node = $1 AND "
                        f"kind = $2 AND until IS NULL", node, kind, at)
                case CoGovernanceBodyFormed():
                    await conn.execute(
                        f"INSERT INTO {schema}.bodies (node, kind, name, term_from, term_to,"
                        f" contact) VALUES ($1, $2, $3, $4::text::date, $5::text::date, $6)"
                        f" ON CONFLICT DO NOTHING",
                        p.node, p.kind, p.name, p.term_from, p.term_to, p.contact)
                case CoGovernanceBodyRenewed():
                    await conn.execute(
                        f"UPDATE {schema}.bodies SET name = $3, term_from = $4::text::date,"
                        f" term_to = $5::text::date, contact = $6, active = true"
                        f" WHERE node = $1 AND kind = $2",
                        p.node, p.kind, p.name, p.term_from, p.term_to, p.contact)
                case CoGovernanceBodyEnded(node=node, kind=kind):
                    await conn.execute(f"UPDATE {schema}.bodies SET active = false"
                                       f" WHERE node = $1 AND kind = $2", node, kind)


_READS = (PartyOrganisationEstablished, PartyOrganisationSecretaryChanged,
          PartyOrganisationDissolved, CoGovernanceBodyFormed, CoGovernanceBodyRenewed,
          CoGovernanceBodyEnded)


async def _took_office(conn: asyncpg.Connection, schema: str, node: str, kind: str,
                       secretary: dict[str, str], at: Any) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.secretaries (node, kind, name, person, since)"
        f" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        node, kind, secretary["name"], secretary.get("person", ""), at)


async def compound_page(pool: asyncpg.Pool, node: str,
                        schema: str = Party.schema) -> dict[str, Any]:
    """一个中心 三方共治 at `node`: the branch at the centre, the owners' committee and the
    property company, the organisations above that lead it and those beneath it."""
    orgs = await pool.fetch(
        f'SELECT * FROM "{schema}".organisations WHERE active AND '
        f"(node = ANY($1::text[]) OR node LIKE $2) ORDER BY length(node), node, kind",
        ancestors_and_self(node), subtree_like(node))
    bodies = await pool.fetch(f'SELECT * FROM "{schema}".bodies WHERE active AND node = $1',
                              node)

    def org(r: asyncpg.Record) -> dict[str, Any]:
        return {"node": r["node"], "kind": r["kind"], "name": r["name"],
                "secretary": {"name": r["secretary"], "person": r["secretary_person"] or None,
                              "since": r["secretary_since"].isoformat()}}

    here = {r["kind"]: org(r) for r in orgs if r["node"] == node}
    by_kind = {r["kind"]: {"name": r["name"], "term_from": r["term_from"].isoformat(),
                           "term_to": r["term_to"].isoformat(), "contact": r["contact"] or None}
               for r in bodies}
    return {
        "node": node,
        "centre": here.get("compound_branch"),
        "owners_committee": by_kind.get("owners_committee"),
        "property_company": by_kind.get("property_company"),
        "here": list(here.values()),
        "above": [org(r) for r in orgs if len(r["node"]) < len(node)],
        "beneath": [org(r) for r in orgs if len(r["node"]) > len(node)],
    }


async def secretaries_of(pool: asyncpg.Pool, node: str, kind: str,
                         schema: str = Party.schema) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f'SELECT name, person, since, until FROM "{schema}".secretaries '
        f"WHERE node = $1 AND kind = $2 ORDER BY since", node, kind)
    return [{"name": r["name"], "person": r["person"] or None,
             "since": r["since"].isoformat(),
             "until": r["until"].isoformat() if r["until"] else None} for r in rows]
