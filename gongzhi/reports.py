"""`gongzhi report` and `gongzhi ranking`: a node's month KPIs and a ranking, from the
running evaluation service.

They ask the service over HTTP rather than reading its tables: the answer is then exactly
what the API and its exports show (the same rules in force, the same access rules for the
token used), and the command works against a remote deployment with nothing but a token.
Without `--token` (or GONGZHI_TOKEN) a development token is minted from this home's secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from shared import auth
from shared.settings import Settings

Url = Annotated[str, typer.Option(envvar="GONGZHI_EVALUATION_URL",
                                  help="the evaluation service")]
Token = Annotated[str | None, typer.Option(envvar="GONGZHI_TOKEN",
                                           help="bearer token (default: minted here)")]
Month = Annotated[str | None, typer.Option(help="YYYY-MM (default: this month)")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="an instant, e.g. "
                                          "2026-11-15T12:00:00+08:00 (default: now)")]
Fmt = Annotated[str, typer.Option("--format", help="table, json, csv or xlsx")]
Out = Annotated[Path | None, typer.Option(help="write to this file (needed for xlsx)")]
Home = Annotated[Path, typer.Option(envvar="GONGZHI_HOME", help="where the dev secret is")]

REPORT_COLUMNS = (("node", "节点"), ("name", "名称"), ("issues", "诉求数"),
                  ("response_rate", "响应率"), ("resolution_rate", "解决率"),
                  ("satisfaction_rate", "满意率"), ("report_in_rate", "报到及时率"),
                  ("score", "综合得分"))
RANKING_COLUMNS = (("rank", "排名"), *REPORT_COLUMNS[:2], ("score", "综合得分"),
                   ("rank_change", "名次变化"), ("score_change", "得分变化"),
                   *REPORT_COLUMNS[3:6])


def _token(token: str | None, scope: str, home: Path) -> str:
    if token:
        return token
    os.environ["GONGZHI_HOME"] = str(home)
    root = scope.split(".")[0]
    return auth.mint(Settings().secret("jwt_secret"), sub="cli", role="city_staff",
                     scope=root, ttl_seconds=600)


def _fetch(url: str, path: str, params: dict[str, Any], token: str) -> httpx.Response:
    params = {k: v for k, v in params.items() if v is not None}
    try:
        r = httpx.get(url.rstrip("/") + path, params=params, timeout=60,
                      headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise typer.BadParameter(f"cannot reach the evaluation service at {url}: {exc}",
                                 param_hint="--url") from None
    if r.status_code >= 400:
        detail = r.json().get("detail", r.text) if r.headers.get(
            "content-type", "").startswith("application/") else r.text
        typer.echo(f"{r.status_code}: {detail}", err=True)
        raise typer.Exit(1)
    return r


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if key.endswith("_rate"):
        return f"{100 * value:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    lines = [[h for _, h in columns]] + [[_cell(r.get(k), k) for k, _ in columns] for r in rows]
    widths = [max(len(line[i]) for line in lines) + 2 for i in range(len(columns))]
    return "\n".join("".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def _emit(r: httpx.Response, fmt: str, out: Path | None, rows: list[dict[str, Any]],
          columns: tuple[tuple[str, str], ...]) -> None:
    if fmt in ("csv", "xlsx", "json"):
        if out:
            out.write_bytes(r.content)
            typer.echo(f"wrote {out}")
        elif fmt == "xlsx":
            raise typer.BadParameter("an Excel workbook needs --out FILE", param_hint="--out")
        else:
            typer.echo(r.content.decode("utf-8-sig"))
        return
    typer.echo(_table(rows, columns))


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json", "csv", "xlsx"):
        raise typer.BadParameter("table, json, csv or xlsx", param_hint="--format")


def report(node: Annotated[str, typer.Option(help="tier node path")], month: Month = None,
           as_of: AsOf = None, fmt: Fmt = "table", out: Out = None,
           url: Url = "http://127.0.0.1:8004", token: Token = None,
           home: Home = Path(".gongzhi")) -> None:
    """A node's month: its KPIs over its subtree and each child's."""
    _check_format(fmt)
    r = _fetch(url, f"/v1/tiers/{node}/report",
               {"month": month, "as_of": as_of, "format": None if fmt == "table" else fmt},
               _token(token, node, home))
    rows = []
    if fmt == "table":
        body = r.json()
        typer.echo(f"{body['name']} {body['month']}(截至 {body['as_of']})")
        rows = [{"node": body["node"], "name": body["name"], **body["figures"]},
                *body["children"]]
    _emit(r, fmt, out, rows, REPORT_COLUMNS)


def ranking(parent: Annotated[str, typer.Option(help="rank this node's children")],
            level: Annotated[str | None, typer.Option(help="only children of this level")] = None,
            month: Month = None, as_of: AsOf = None, fmt: Fmt = "table", out: Out = None,
            url: Url = "http://127.0.0.1:8004", token: Token = None,
            home: Home = Path(".gongzhi")) -> None:
    """The children of a node ranked by composite score, with movement since last month."""
    _check_format(fmt)
    r = _fetch(url, "/v1/rankings",
               {"parent": parent, "level": level, "month": month, "as_of": as_of,
                "format": None if fmt == "table" else fmt}, _token(token, parent, home))
    rows = []
    if fmt == "table":
        body = r.json()
        typer.echo(f"{parent} {body['month']} 排名(截至 {body['as_of']})")
        rows = body["rows"]
    _emit(r, fmt, out, rows, RANKING_COLUMNS)


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(ranking)
