"""Every fenced code block in README.md and docs/*.md is a promise to users: it runs here,
as written, against one real platform (`gongzhi up`, its services on Kafka), or it is marked
`<!-- snippet: not run — why -->` just above it (docs/contributing.md). A new block that is
neither fails `test_every_block_is_run_or_marked_with_a_reason`.

How a block runs: `sh` with `bash -e -o pipefail` in a folder whose `.venv` is this one, with
the variables the docs document set to this platform (`ISSUES`, `GRID`, `VOLUNTEERS`,
`EVALUATION`, `GONGZHI_HOME`, `GONGZHI_KAFKA_BOOTSTRAP`, `GONGZHI_EVALUATION_URL`) and a
`curl` that fails on an HTTP error status (`--fail-with-body`), so a 4xx is a failed
snippet, not a printed one; `python` with this interpreter. A block that runs until stopped
(a consumer, a stream) is stopped once its output shows what it must.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gongzhi import cli
from gongzhi.services import SERVICES
from services.grid.webhooks import sign
from tests.utils.brokers import Broker
from tests.utils.platform import RunningPlatform, gongzhi_up
from tests.utils.snippets import Snippet, all_snippets
from tests.utils.wait import eventually_sync

DEFAULT_BASE = 8001  # `gongzhi up --base-port`
URL_VARIABLES = {"issues": "ISSUES", "grid": "GRID", "volunteers": "VOLUNTEERS",
                 "evaluation": "EVALUATION"}


@dataclass(frozen=True)
class Run:
    doc: str
    containing: str  # text only this block of the doc has
    expect: tuple[str, ...]  # what its output must show
    streams: bool = False  # runs until stopped: stopped once `expect` is seen
    ready: str | None = None  # what it shows once it listens: the trigger waits for it
    trigger: Callable[[RunningPlatform, Path], None] | None = None  # after it starts
    token: tuple[str, ...] = ()  # role, scope, more `gongzhi token` options: its TOKEN
    files: tuple[str, ...] = ()  # what it must leave in its folder
    timeout: float = 120

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.containing[:30]}"


_tokens: dict[tuple[str, ...], dict[str, str]] = {}


def token(gz: RunningPlatform, *args: str) -> dict[str, str]:
    """`gongzhi token`, once per role and scope: each run is a Python start, seconds here."""
    key = (str(gz.home), *args)
    if key not in _tokens:
        _tokens[key] = gz.token(*args)
    return _tokens[key]


def raise_an_issue(title: str) -> Callable[[RunningPlatform, Path], None]:
    def trigger(gz: RunningPlatform, _cwd: Path) -> None:
        r = httpx.post(f"{gz.url('issues')}/v1/issues", timeout=30,
                       headers=token(gz, "resident", "km.guandu.taihe.heping", "--sub", "r-001"),
                       json={"node": "km.guandu.taihe.heping.g01.y001.b01", "title": title,
                             "category": "public_affairs", "channel": "app"})
        assert r.status_code == 201, r.text

    return trigger


def blow_a_whistle(title: str) -> Callable[[RunningPlatform, Path], None]:
    def trigger(gz: RunningPlatform, _cwd: Path) -> None:
        r = httpx.post(f"{gz.url('grid')}/v1/whistles", timeout=30,
                       headers=token(gz, "street_staff", "km.guandu.taihe"),
                       json={"node": "km.guandu.taihe", "situation": "law_enforcement",
                             "title": title, "departments": ["km-cgj", "km-gaj"]})
        assert r.status_code == 201, r.text

    return trigger


RUNS = [
    Run("README.md", "Idempotency-Key: r-001-0001",
        expect=('"title":"楼道堆放杂物"', '"reporter":"r-001"', '"name":"太和街道"')),
    Run("README.md", '"title":"和平路违建"',
        expect=('"title":"和平路违建"', '"department":"km-gaj"', '"reported_at":"')),
    Run("README.md", '"title":"后巷被商户占用"',
        expect=('"topic":"后巷整治"', '"status":"resolved"', '"verdict":"satisfied"')),
    Run("docs/residents-and-search.md", "/v1/me/events", streams=True,
        ready=": connected", trigger=raise_an_issue("井盖松动"),
        expect=('{"items":[', "event: gongzhi.issue.raised.v1", "井盖松动")),
    Run("docs/volunteers.md", "p-hy-zhao/statement",
        expect=('"person":"p-hy-zhao"', '"rank":1')),
    Run("docs/evaluation.md", "gongzhi report --node km.guandu.taihe",
        expect=("太和街道", "排名"), files=("ranking.xlsx",)),
    Run("docs/events.md", "kcat -C", streams=True, trigger=raise_an_issue("路灯不亮"),
        expect=("ce_type=gongzhi.issue.raised.v1", '"title":"路灯不亮"')),
    Run("docs/subscribing.md", "AIOKafkaConsumer(", streams=True,
        trigger=blow_a_whistle("东风路占道"),
        expect=("gongzhi.whistle.blown.v1", "'title': '东风路占道'")),
    Run("docs/subscribing.md", "gongzhi subscribe --department km-cgj", streams=True,
        trigger=blow_a_whistle("春城路噪音"),
        expect=('"type": "gongzhi.whistle.blown.v1"', '"title": "春城路噪音"')),
    Run("docs/subscribing.md", "Last-Event-ID", streams=True, ready="listening",
        token=("department_staff", "km.guandu", "--department", "km-cgj"),
        trigger=blow_a_whistle("金马路积水"),
        expect=("gongzhi.whistle.blown.v1 {", "'specversion': '1.0'", "'title': '金马路积水'")),
    Run("docs/subscribing.md", "/v1/departments/km-cgj/webhooks",
        expect=('"url":"https://cgj.example.gov.cn/gongzhi/whistles"', '"secret":"')),
]
# Blocks a test of their own runs, for what they assert is more than their output.
RUN_ELSEWHERE = {
    ("docs/subscribing.md", "def verify("): "test_the_docs_signature_check_accepts_what_grid_signs",
}


def the_snippet(doc: str, containing: str) -> Snippet:
    found = [s for s in all_snippets() if s.doc == doc and containing in s.text]
    assert len(found) == 1, f"{len(found)} blocks in {doc} contain {containing!r}"
    return found[0]


# -- without a platform -----------------------------------------------------------------------


def test_every_block_is_run_or_marked_with_a_reason() -> None:
    claimed = {(r.doc, r.containing) for r in RUNS} | set(RUN_ELSEWHERE)
    for doc, containing in claimed:
        snippet = the_snippet(doc, containing)
        assert snippet.marker is None, f"{snippet.where} is run here yet marked {snippet.marker!r}"
    for snippet in all_snippets():
        if snippet.marker is not None:
            assert snippet.not_run_because, (
                f"{snippet.where}: the marker {snippet.marker!r} gives no reason; write "
                "<!-- snippet: not run — why --> (docs/contributing.md)")
            continue
        runs = [c for c in claimed if c[0] == snippet.doc and c[1] in snippet.text]
        assert runs, (f"{snippet.where} ({snippet.lang or 'no language'}) is neither run by "
                      f"{Path(__file__).name} nor marked <!-- snippet: not run — why -->")
    assert all(name in globals() for name in RUN_ELSEWHERE.values())


def test_a_block_is_found_with_the_marker_above_it(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# t\n\n```sh\necho run me\n```\n\n<!-- snippet: not run — a diagram of the path -->\n\n"
        "````\na ─► b\n```\n````\n<!-- snippet: not run -->\n~~~python\nprint()\n~~~\n")
    first, second, third = all_snippets(tmp_path)
    assert (first.lang, first.text, first.marker, first.line) == ("sh", "echo run me\n", None, 3)
    assert second.not_run_because == "a diagram of the path" and second.text == "a ─► b\n```\n"
    assert third.lang == "python" and third.marker == "not run" and not third.not_run_because


def test_the_readme_names_the_ports_gongzhi_up_uses() -> None:
    """The one block the platform test cannot run as is (it sets the variables the test sets
    to its own ports) must name the ports `gongzhi up` listens on by default."""
    exported = the_snippet("README.md", "export ISSUES=")
    assert exported.not_run_because
    words = exported.text.replace("\\\n", " ").split()
    assigned = dict(w.split("=", 1) for w in words if "=" in w)
    assert assigned == {URL_VARIABLES[spec.name]:
                        f"http://127.0.0.1:{DEFAULT_BASE + spec.port_offset}" for spec in SERVICES}


def test_the_readme_synopsis_names_commands_and_options_that_exist() -> None:
    """The Commands block is a synopsis (placeholders, alternatives), so it is not run; what it
    can still promise wrongly is a command or an option: each must be in `gongzhi … --help`."""
    synopsis = the_snippet("README.md", "gongzhi up [--home DIR]")
    assert synopsis.not_run_because
    lines = [line.split("#")[0].split() for line in synopsis.text.splitlines()]
    commands = [words[1:] for words in lines if words and words[0] == ".venv/bin/gongzhi"]
    assert len(commands) >= 7, synopsis.text
    for words in commands:
        helped = CliRunner().invoke(cli.app, [words[0], "--help"], terminal_width=200,
                                    env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert helped.exit_code == 0, f"gongzhi {words[0]}: {helped.output}"
        for option in re.findall(r"--[a-z][a-z-]*", " ".join(words)):
            assert option in helped.output, f"gongzhi {words[0]} has no {option}"


def test_the_kafka_snippet_joins_a_group_of_its_own() -> None:
    """A department copying the snippet must not join `gongzhi subscribe`'s group (they would
    split the partitions and each miss events) nor the platform's own `gongzhi.` groups."""
    code = the_snippet("docs/subscribing.md", "AIOKafkaConsumer(").text
    groups = [kw.value.value for node in ast.walk(ast.parse(code))
              if isinstance(node, ast.Call) for kw in node.keywords
              if kw.arg == "group_id" and isinstance(kw.value, ast.Constant)]
    assert len(groups) == 1, groups
    assert not groups[0].startswith("gongzhi."), groups[0]  # `gongzhi.department.km-cgj`


def test_the_docs_signature_check_accepts_what_grid_signs() -> None:
    namespace: dict = {}
    exec(the_snippet("docs/subscribing.md", "def verify(").text, namespace)
    verify = namespace["verify"]
    body = b'{"specversion":"1.0","id":"w-1/1","type":"gongzhi.whistle.blown.v1"}'
    header = sign("s3cret", body)
    assert verify("s3cret", body, header)
    assert not verify("s3cret", body + b" ", header)
    assert not verify("other", body, header)
    assert not verify("s3cret", body, sign("s3cret", body, at=int(time.time()) - 3600))


# -- against the platform ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, kafka: Broker) -> Iterator[RunningPlatform]:
    """One platform for every block, on the session's broker in the default namespace (the
    snippets name `gongzhi.grid` and `gongzhi.issues`)."""
    with gongzhi_up(tmp_path_factory.mktemp("docs"), start_timeout=300,
                    GONGZHI_TRANSPORT="kafka", GONGZHI_KAFKA_BOOTSTRAP=kafka.bootstrap) as gz:
        # "With the platform up": the demo city has reached the read models through Kafka
        # (until then a token's scope is not yet a node of their tier tree: 401).
        for service, path, role, scope in (
                ("issues", "/v1/me/issues", "resident", "km.guandu.taihe.heping"),
                ("issues", "/v1/me/issues", "resident", "nj.gulou.rehenan.xiaotaoyuan"),
                ("volunteers", "/v1/tiers/wn.huayin/leaderboard", "party_member",
                 "wn.huayin.yuemiao.huayue")):
            url, auth = gz.url(service) + path, token(gz, role, scope)
            eventually_sync(lambda url=url, auth=auth: httpx.get(
                url, headers=auth, timeout=30).status_code, lambda code: code == 200,
                timeout=120)
        yield gz


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """Where a snippet runs: its `.venv/bin/gongzhi` is ours, whatever it writes stays here."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    shims = tmp_path / "shims"
    shims.mkdir()
    curl = shutil.which("curl")
    assert curl, "curl is needed to run the docs' snippets"
    (shims / "curl").write_text(
        "#!/bin/sh\n# the docs' curl, failing on an HTTP error status\n"
        f'case " $* " in *" --fail-with-body "*) exec {curl} "$@";; esac\n'
        f'exec {curl} --fail-with-body "$@"\n')
    (shims / "curl").chmod(0o755)
    return tmp_path


def snippet_env(gz: RunningPlatform, cwd: Path) -> dict[str, str]:
    return gz.env | {URL_VARIABLES[s]: gz.url(s) for s in URL_VARIABLES} | {
        "GONGZHI_HOME": str(gz.home), "GONGZHI_EVALUATION_URL": gz.url("evaluation"),
        "PATH": f"{cwd / 'shims'}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }


def command(snippet: Snippet, cwd: Path) -> list[str]:
    script = cwd / f"snippet-{snippet.line}.{snippet.lang}"
    script.write_text(snippet.text, encoding="utf-8")
    if snippet.lang == "sh":
        # Line-buffered, as on a terminal: kcat would otherwise hold what it read.
        return ["stdbuf", "-oL", "bash", "-e", "-o", "pipefail", str(script)]
    if snippet.lang == "python":
        return [sys.executable, str(script)]
    raise AssertionError(f"{snippet.where}: no way to run a {snippet.lang!r} block")


def run_to_end(snippet: Snippet, gz: RunningPlatform, cwd: Path,
               timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(command(snippet, cwd), cwd=cwd, env=snippet_env(gz, cwd),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          text=True, encoding="utf-8")


@dataclass
class Running:
    process: subprocess.Popen
    out: Path

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: bash and its curl
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start(snippet: Snippet, gz: RunningPlatform, cwd: Path,
          run_token: tuple[str, ...]) -> Running:
    out = cwd / f"snippet-{snippet.line}.out"
    env = snippet_env(gz, cwd)
    if run_token:
        env["TOKEN"] = token(gz, *run_token)["Authorization"].removeprefix("Bearer ")
    with out.open("w") as sink:
        process = subprocess.Popen(command(snippet, cwd), cwd=cwd, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Running(process, out)


@pytest.mark.parametrize("run", RUNS, ids=[r.id for r in RUNS])
def test_the_block_runs_against_the_platform(run: Run, platform: RunningPlatform,
                                             cwd: Path) -> None:
    snippet = the_snippet(run.doc, run.containing)
    if not run.streams:
        done = run_to_end(snippet, platform, cwd, run.timeout)
        assert done.returncode == 0, f"{snippet.where} failed:\n{done.stdout[-3000:]}"
        output = done.stdout
    else:
        running = start(snippet, platform, cwd, run.token)

        def seen() -> str:
            assert running.process.poll() is None, (
                f"{snippet.where} ended early:\n{running.output()[-3000:]}")
            return running.output()

        try:
            if run.ready:  # a stream from now on: what happens before it listens is not in it
                eventually_sync(seen, lambda out: run.ready in out, timeout=run.timeout)
            if run.trigger:
                run.trigger(platform, cwd)
            output = eventually_sync(seen, lambda out: all(e in out for e in run.expect),
                                     timeout=run.timeout)
        finally:
            running.stop()
    for expected in run.expect:
        assert expected in output, f"{snippet.where}: no {expected!r} in\n{output[-3000:]}"
    for name in run.files:
        assert (cwd / name).stat().st_size > 0, f"{snippet.where} wrote no {name}"
