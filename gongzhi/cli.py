"""`gongzhi`: the platform's command line.

  gongzhi up        start PostgreSQL (embedded unless DATABASE_URL is set), seed the demo city,
                    run the four services, print where they are
  gongzhi token     mint a development token for a role at a tier node
  gongzhi seed      (re)seed the demo city
  gongzhi rebuild   rebuild a projection from position zero and swap it in
  gongzhi subscribe print the whistle events that concern a department, from Kafka
  gongzhi asyncapi  print the AsyncAPI 3 document of every public event
  gongzhi topics    create the Kafka topics as configured, or check them (exit 1 if unlike)
  gongzhi pg        start or stop the embedded PostgreSQL server
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from gongzhi import launcher, reports, topics
from gongzhi.services import SERVICES
from shared import auth
from shared.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
Home = Annotated[Path, typer.Option(envvar="GONGZHI_HOME", help="data, secrets and logs")]


def _settings(home: Path) -> Settings:
    os.environ["GONGZHI_HOME"] = str(home)
    return Settings()


@app.command()
def up(
    home: Home = Path(".gongzhi"),
    host: str = "127.0.0.1",
    base_port: Annotated[
        int, typer.Option(help="issues; grid, volunteers, evaluation follow")
    ] = 8001,
    demo: Annotated[bool, typer.Option(help="seed the demo city")] = True,
    transport: Annotated[str, typer.Option(help="embedded, or kafka (starts Kafka and Zipkin "
                                                "from deploy/)")] = "embedded",
    kafka_port: int = 9092,
    zipkin_port: int = 9411,
) -> None:
    """Start the whole platform on this machine and keep it running until Ctrl-C."""
    from gongzhi.brokers import LocalBrokers
    from gongzhi.demo.seed import seed
    from shared.db import resolve_database_url

    if transport not in ("embedded", "kafka"):
        raise typer.BadParameter("embedded or kafka", param_hint="--transport")
    settings = _settings(home)
    embedded = not settings.database_url
    typer.echo("Starting PostgreSQL (embedded)…" if embedded else "Using DATABASE_URL…")
    url = resolve_database_url(settings)
    brokers = None
    try:
        settings.secret("jwt_secret")  # generate development secrets before services race
        if demo:
            report = seed(url, settings.secret("data_key"), settings.env)
            typer.echo(f"Demo city: {report.nodes} nodes, {report.departments} departments, "
                       f"{report.people} people, {report.logins} console logins and "
                       f"{report.volunteers} volunteers newly registered")
        env = launcher.service_env(url, home)
        if transport == "kafka":
            brokers = LocalBrokers(home.resolve(), kafka_port, zipkin_port)
            typer.echo("Starting Kafka and Zipkin (deploy/kafka.sh, deploy/zipkin.sh)…")
            brokers.start()
            env |= brokers.service_env()
        running = launcher.start_all(host, base_port, env, home / "logs")
    except BaseException:
        # A failed start leaves nothing running: not the brokers, not our PostgreSQL.
        if brokers:
            brokers.stop()
        if embedded:
            from shared import embedded_pg

            embedded_pg.stop(home / "pg")
        raise
    typer.echo(f"\nGongzhi is up ({transport} transport):")
    for r in running:
        if r.spec.name == "console":
            typer.echo(f"  {'console':<11} {r.url}/   the web console (sign in there)")
        else:
            typer.echo(f"  {r.spec.name:<11} {r.url}   docs {r.url}/docs")
    if brokers:
        typer.echo(f"  kafka       {brokers.bootstrap}   topics gongzhi.<service>")
        typer.echo(f"  zipkin      {brokers.zipkin_url}/zipkin/   traces of every request")
    typer.echo(f"  logs        {home / 'logs'}")
    if demo:
        typer.echo(demo_logins_text(home))
    typer.echo("\nTry:\n  TOKEN=$(.venv/bin/gongzhi token --role community_staff "
               "--scope km.guandu.taihe.heping)\n"
               f"  curl -H \"Authorization: Bearer $TOKEN\" "
               f"{running[0].url}/v1/tiers/km.guandu.taihe.heping/summary\n"
               "Press Ctrl-C to stop.")
    launcher.supervise(running, host, base_port, env, home / "logs")
    if brokers:
        brokers.stop()
    if embedded:
        from shared import embedded_pg

        embedded_pg.stop(home / "pg")
    typer.echo("Stopped.")


@app.command()
def token(
    role: Annotated[str, typer.Option(help=", ".join(auth.ROLES))] = "community_staff",
    scope: Annotated[str, typer.Option(help="tier path the holder acts under")] = "km",
    sub: Annotated[str | None, typer.Option(help="subject id (default: role@scope)")] = None,
    name: str = "",
    department: Annotated[str | None, typer.Option(help="for department_staff")] = None,
    hours: float = 12.0,
    home: Home = Path(".gongzhi"),
) -> None:
    """Print a development bearer token signed with this home's secret."""
    settings = _settings(home)
    try:
        typer.echo(auth.mint(
            settings.secret("jwt_secret"), sub=sub or f"{role}@{scope}", role=role, scope=scope,
            name=name, department=department, ttl_seconds=int(hours * 3600),
        ))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("seed")
def seed_command(home: Home = Path(".gongzhi")) -> None:
    """Seed (or re-seed, idempotently) the demo city."""
    from gongzhi.demo.seed import seed
    from shared.db import resolve_database_url

    settings = _settings(home)
    report = seed(resolve_database_url(settings), settings.secret("data_key"), settings.env)
    typer.echo(f"{report.nodes} nodes, {report.departments} departments, {report.people} "
               f"people, {report.logins} console logins and {report.volunteers} volunteers "
               "newly registered")
    typer.echo(demo_logins_text(home))


def demo_logins_text(home: Path) -> str:
    from gongzhi.demo.seed import DEMO_LOGINS
    from services.grid.signin.passwords import DEMO_PASSWORD

    lines = [f"\nSign in to the console as any demo person: login = staff id, password "
             f"{DEMO_PASSWORD!r}. For example:"]
    lines += [f"  {login:<17} {what}" for login, what in DEMO_LOGINS]
    lines.append(f"Residents: any mobile number; the one-time code is in "
                 f"{home / 'logs' / 'grid.log'} (development).")
    return "\n".join(lines)


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help=", ".join(s.name for s in SERVICES))],
    projection: Annotated[str, typer.Argument(help="its schema, e.g. issues_tier_summary")],
    home: Home = Path(".gongzhi"),
) -> None:
    """Rebuild one projection from position zero into a fresh schema and swap it in. Safe
    while the service runs."""
    from importlib import import_module

    from shared.bus.transports import consumers_for
    from shared.db import create_pool, resolve_database_url
    from shared.projections.rebuild import rebuild as do_rebuild

    settings = _settings(home)
    url = resolve_database_url(settings)
    found = _projections_of(import_module(f"services.{service}.bootstrap"))
    if projection not in found:
        raise typer.BadParameter(f"{service} has {', '.join(found) or 'no projections'}")

    async def go() -> int:
        pool = await create_pool(url)
        try:
            return await do_rebuild(found[projection], pool,
                                    consumers_for(settings, url, group=projection))
        finally:
            await pool.close()

    typer.echo(f"{projection}: rebuilt from {asyncio.run(go())} events")


def _projections_of(bootstrap_module: object) -> dict:
    return {p.schema: p for p in getattr(bootstrap_module, "PROJECTIONS", ())}


@app.command("dead-letters")
def dead_letters(
    action: Annotated[str, typer.Argument(help="list | replay | drop")],
    read_model: Annotated[str | None, typer.Argument(
        help="replay, drop: the schema that parked it, e.g. issues_policy_rated")] = None,
    letter_id: Annotated[int | None, typer.Argument(help="replay, drop: its id")] = None,
    all_states: Annotated[bool, typer.Option("--all", help="list: replayed and dropped too")]
    = False,
    home: Home = Path(".gongzhi"),
) -> None:
    """Messages read models and reactions parked: list them, replay one (its service applies
    it within seconds, exactly once), or drop one for good."""
    import json

    from shared.db import connect, resolve_database_url
    from shared.projections import dead_letters as letters

    if action not in ("list", "replay", "drop"):
        raise typer.BadParameter("list, replay or drop", param_hint="ACTION")
    if action != "list" and (read_model is None or letter_id is None):
        raise typer.BadParameter(f"{action} needs READ_MODEL and LETTER_ID")
    url = resolve_database_url(_settings(home))

    async def go() -> str:
        conn = await connect(url, name="gongzhi-dead-letters")
        try:
            schemas = await letters.schemas_with_dead_letters(conn)
            if action == "list":
                states = letters.STATES if all_states else ("parked", "replay")
                found = await letters.list_letters(conn, schemas, states)
                return "\n".join(json.dumps(x, ensure_ascii=False) for x in found)
            if read_model not in schemas:
                raise typer.BadParameter(f"no read model '{read_model}' parks messages here; "
                                         f"known: {', '.join(schemas)}")
            state = await letters.mark(conn, read_model, letter_id,
                                       "replay" if action == "replay" else "dropped")
            if state is None:
                raise typer.BadParameter(f"no dead letter {letter_id} in {read_model}")
            return f"{read_model} {letter_id}: {state}"
        finally:
            await conn.close()

    if out := asyncio.run(go()):
        typer.echo(out)


@app.command()
def subscribe(
    department: Annotated[str, typer.Option(help="the department code, e.g. km-cgj")],
    bootstrap: Annotated[str, typer.Option(envvar="GONGZHI_KAFKA_BOOTSTRAP")] = "127.0.0.1:9092",
    namespace: Annotated[str, typer.Option(envvar="GONGZHI_KAFKA_NAMESPACE")] = "gongzhi",
    from_beginning: bool = False,
    max_events: Annotated[int | None, typer.Option(help="stop after this many")] = None,
) -> None:
    """Print, as JSON lines, every whistle event on Kafka that concerns a department."""
    from gongzhi.subscribe import run

    run(bootstrap, namespace, department, max_events, from_beginning)


@app.command()
def asyncapi(
    service: Annotated[list[str] | None, typer.Option(
        help="only this service's channels (repeatable); all by default")] = None,
    namespace: Annotated[str, typer.Option(help="the topics' prefix")] = "gongzhi",
    bootstrap: Annotated[str, typer.Option(help="the Kafka server named")] = "127.0.0.1:9092",
    output: Annotated[Path | None, typer.Option(help="write it here instead of stdout")] = None,
) -> None:
    """The AsyncAPI 3 document of the events, from the contracts (docs/asyncapi.md). With the
    defaults it is docs/asyncapi.json: `gongzhi asyncapi --output docs/asyncapi.json`."""
    from contracts.asyncapi import document, render

    text = render(document(services=service or None, namespace=namespace, bootstrap=bootstrap))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def pg(
    action: Annotated[str, typer.Argument(help="start | stop | url")],
    home: Home = Path(".gongzhi"),
) -> None:
    """Manage the embedded PostgreSQL server under HOME/pg."""
    from shared import embedded_pg

    if action in ("start", "url"):
        typer.echo(embedded_pg.start(home / "pg"))
    elif action == "stop":
        embedded_pg.stop(home / "pg")
    else:
        raise typer.BadParameter("start, stop or url")


reports.register(app)  # gongzhi report, gongzhi ranking
topics.register(app)  # gongzhi topics create|check

if __name__ == "__main__":
    app()
