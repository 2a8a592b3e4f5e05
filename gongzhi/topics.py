"""`gongzhi topics create|check`: every service's Kafka topics, as the configuration says.

The relays make their own topics as they start; `create` is for an operator who wants them in
place before any service runs (a fresh cluster, a new namespace), `check` for a script or a
person asking whether what is on the brokers is what the configuration says. Both read the
same settings as the services (GONGZHI_KAFKA_BOOTSTRAP, _NAMESPACE, _PARTITIONS, _REPLICATION).
`check` exits 1 on any mismatch or missing topic, printing each; `create` exits 1 if a topic
that already existed differs.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from gongzhi.services import SERVICES
from shared.bus import topics
from shared.bus.cloudevents import topic_for
from shared.settings import Settings

Bootstrap = Annotated[str | None, typer.Option(help="brokers (default GONGZHI_KAFKA_BOOTSTRAP)")]
Namespace = Annotated[str | None, typer.Option(help="topic prefix (default "
                                                    "GONGZHI_KAFKA_NAMESPACE)")]
Partitions = Annotated[int | None, typer.Option(help="default GONGZHI_KAFKA_PARTITIONS")]
Replication = Annotated[int | None, typer.Option(help="default GONGZHI_KAFKA_REPLICATION")]

cli = typer.Typer(no_args_is_help=True, help="Kafka topics: create them as configured, or "
                                             "check them against the configuration.")


def _configured(bootstrap: str | None, namespace: str | None, partitions: int | None,
                replication: int | None) -> tuple[str, list[str], topics.Layout]:
    settings = Settings()
    ns = namespace or settings.kafka_namespace
    names = [t for s in SERVICES for t in topics.service_topics(topic_for(s.name, ns))]
    layout = topics.Layout(partitions or settings.kafka_partitions,
                           replication or settings.kafka_replication)
    return bootstrap or settings.kafka_bootstrap, names, layout


def _report(problems: list[str], where: str, names: list[str], layout: topics.Layout) -> None:
    for p in problems:
        typer.echo(f"MISMATCH {p}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{len(names)} topics as configured ({layout.partitions} partitions, "
               f"replication {layout.replication}) on {where}")


@cli.command()
def create(bootstrap: Bootstrap = None, namespace: Namespace = None,
           partitions: Partitions = None, replication: Replication = None) -> None:
    """Create every service's topic and dead-letter topic that does not exist yet."""
    where, names, layout = _configured(bootstrap, namespace, partitions, replication)
    _report(asyncio.run(topics.ensure(where, names, layout)), where, names, layout)


@cli.command()
def check(bootstrap: Bootstrap = None, namespace: Namespace = None,
          partitions: Partitions = None, replication: Replication = None) -> None:
    """Compare every service's topics with the configuration; exit 1 on any difference."""
    where, names, layout = _configured(bootstrap, namespace, partitions, replication)
    _report(asyncio.run(topics.check(where, names, layout)), where, names, layout)


def register(app: typer.Typer) -> None:
    app.add_typer(cli, name="topics")
