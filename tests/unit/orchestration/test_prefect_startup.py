"""Prefect's API at the start of a load: a slow temporary server, a running `haquang serve`, a
killed load or serve. Every load here runs in its own process with its own PREFECT_HOME, and
every Prefect server process is found by that home in its environment, whoever started it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.orchestration.runners import TEMPORARY_SERVER_START_SECONDS
from flows.orchestration.serve_record import SERVE_RECORD_NAME, record_served_server, remove_serve_record, running_serve_api_url
from tests.conftest import REPO, RAW

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="finds processes through /proc; the kernel's parent-death signal is Linux's")

HAQUANG = Path(sys.executable).with_name("haquang")
PREFECTS_DEFAULT_START_SECONDS = 20


def prefect_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), **extra}
    env.pop("PREFECT_API_URL", None)
    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" not in extra:
        env.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
    return env


def start_load(raw: Path, warehouse: Path, env: dict[str, str]) -> subprocess.Popen:
    # Its own session, so that the clean-up can end whatever a failed test leaves behind.
    return subprocess.Popen([str(HAQUANG), "load", "--raw", str(raw), "--warehouse", str(warehouse)],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def prefect_servers(home: Path) -> dict[int, str]:
    """pid -> command line of every Prefect API server (temporary or `prefect server start`) with this home."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile, or not ours to read
            continue
        is_server = "prefect.server.api.server:create_app" in command or " server start" in command
        if is_server and f"PREFECT_HOME={home}".encode() in environment and not _is_zombie(entry):
            found[int(entry.name)] = command
    return found


def _is_zombie(entry: Path) -> bool:
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def wait_for(condition, seconds: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what}: not within {seconds:g} s")


def port_of(command: str) -> int:
    return int(re.search(r"--port (\d+)", command).group(1))


def answers_health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def end_everything(process: subprocess.Popen, home: Path) -> None:
    """Clean-up for a shared machine: the test's process group, then any server of its home."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    for pid in prefect_servers(home):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -- (a) a running `haquang serve`: loads report to its server, and it does not outlive serve --

@pytest.mark.load
def test_a_load_reports_to_the_running_served_server_and_starts_none(tmp_path):
    home = tmp_path / "prefect_home"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The served server keeps its runs in a database of its own: a run found there came through
    # its API, not through a temporary server writing to the home's database.
    served_db = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
    serve = subprocess.Popen([str(HAQUANG), "serve", "--port", str(port), "--raw", str(RAW),
                              "--warehouse", str(tmp_path / "served.duckdb")],
                             env=prefect_env(home, PREFECT_API_DATABASE_CONNECTION_URL=served_db), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    record = home / SERVE_RECORD_NAME
    load = None
    try:
        wait_for(lambda: record.exists() or serve.poll() is not None, 180, "haquang serve wrote its record")
        assert serve.poll() is None, "haquang serve ended while starting"
        served = prefect_servers(home)
        assert len(served) == 1 and port_of(next(iter(served.values()))) == port
        # Serve writes its record once its server answers, then registers the deployment; a load
        # by hand comes when serve is up, not in the seconds its server is busy registering (on a
        # busy machine the load's 0.5 s health probe then timed out and it started a server of its own).
        wait_for(lambda: _deployments(port), 180, "haquang serve registered its deployment")

        warehouse = tmp_path / "by_hand.duckdb"
        load = start_load(RAW, warehouse, prefect_env(home))
        seen = set()
        while load.poll() is None:
            seen |= prefect_servers(home).keys()
            time.sleep(0.05)
        out, err = load.communicate()
        assert load.returncode == 0, err
        assert seen <= served.keys(), f"the load started a Prefect server of its own: {seen - served.keys()}"

        runs = _flow_runs(port)
        by_hand = [r for r in runs if r["parameters"].get("warehouse") == str(warehouse)]
        assert [r["state_type"] for r in by_hand] == ["COMPLETED"], runs

        # The served server ends with serve, even when serve is SIGKILLed, and its record is
        # then ignored at once.
        serve.kill()
        serve.wait()
        wait_for(lambda: not prefect_servers(home), 30, "the served Prefect server ended with haquang serve")
        assert record.exists()
        started = time.monotonic()
        assert running_serve_api_url(record) is None
        assert time.monotonic() - started < 0.5
    finally:
        end_everything(serve, home)
        if load is not None:
            end_everything(load, home)


def _flow_runs(port: int) -> list[dict]:
    return _filtered(port, "flow_runs")


def _deployments(port: int) -> list[dict]:
    return _filtered(port, "deployments")


def _filtered(port: int, kind: str) -> list[dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/{kind}/filter", data=b"{}",
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


# -- (b) a SIGKILLed load takes its temporary server with it --

@pytest.mark.load
@pytest.mark.parametrize("moment", ["while the server starts", "while the flow runs"])
def test_a_killed_load_leaves_no_prefect_server_behind(tmp_path, moment):
    home = tmp_path / "prefect_home"
    load = start_load(RAW, tmp_path / "w.duckdb", prefect_env(home))
    try:
        servers = wait_for(lambda: prefect_servers(home) or load.poll() is not None, 120,
                           "the load started its temporary server")
        assert load.poll() is None, load.communicate()
        if moment == "while the flow runs":
            port = port_of(next(iter(servers.values())))
            wait_for(lambda: answers_health(port) or load.poll() is not None, 180, "the server answered")
            assert load.poll() is None, load.communicate()
        os.kill(load.pid, signal.SIGKILL)  # the load alone, not its process group
        load.wait()
        wait_for(lambda: not prefect_servers(home), 30, "the temporary server ended with its load")
    finally:
        end_everything(load, home)


# -- (c) Prefect's start-up timeout: generous by default, and a failure that says what to do --

@pytest.mark.load
@pytest.mark.parametrize(("environment", "expected"),
                         [({}, str(TEMPORARY_SERVER_START_SECONDS)),
                          ({"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "45"}, "45")])
def test_the_cli_gives_prefects_temporary_server_a_generous_start_up_timeout(tmp_path, environment, expected):
    assert TEMPORARY_SERVER_START_SECONDS >= 3 * PREFECTS_DEFAULT_START_SECONDS
    program = ("from flows.cli import _quiet_prefect; _quiet_prefect(); "
               "from prefect.settings import get_current_settings; "
               "print(get_current_settings().server.ephemeral.startup_timeout_seconds)")
    done = subprocess.run([sys.executable, "-c", program], env=prefect_env(tmp_path / "home", **environment),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected  # a value someone set on purpose wins


@pytest.mark.load
def test_a_load_survives_a_server_start_longer_than_prefects_default(tmp_path):
    """A busy machine, played by stopping the server process for longer than Prefect's 20 s."""
    home, raw = tmp_path / "prefect_home", tmp_path / "raw"
    (raw / "ha_quang").mkdir(parents=True)
    load = start_load(raw, tmp_path / "w.duckdb", prefect_env(home))
    try:
        servers = wait_for(lambda: prefect_servers(home) or load.poll() is not None, 120,
                           "the load started its temporary server")
        assert load.poll() is None, load.communicate()
        (server,) = servers
        started = time.monotonic()
        os.kill(server, signal.SIGSTOP)
        time.sleep(PREFECTS_DEFAULT_START_SECONDS + 1)
        os.kill(server, signal.SIGCONT)
        out, err = load.communicate(timeout=300)
        assert load.returncode == 0, err
        assert time.monotonic() - started > PREFECTS_DEFAULT_START_SECONDS
        assert "Timed out" not in err
        wait_for(lambda: not prefect_servers(home), 30, "the temporary server stopped after the load")
    finally:
        end_everything(load, home)


@pytest.mark.load
def test_a_server_that_does_not_start_in_time_fails_the_load_in_one_line(tmp_path):
    home = tmp_path / "prefect_home"
    warehouse = tmp_path / "w.duckdb"
    # No Prefect server imports its modules within a second, busy machine or not.
    load = start_load(RAW, warehouse, prefect_env(home, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="1"))
    try:
        out, err = load.communicate(timeout=120)
        assert load.returncode == 1
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("haquang load: Prefect's temporary API server did not start")
        assert "within 1 s" in lines[0] and "haquang serve" in lines[0] and "PREFECT_API_URL" in lines[0]
        assert not warehouse.exists()
        assert not prefect_servers(home), "the server that was too slow is stopped, not left running"
    finally:
        end_everything(load, home)


# -- the record `haquang serve` leaves for loads, and what makes a load ignore it --

class _Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server interface)
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


@pytest.fixture
def healthy_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a hung server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_live_recorded_server_is_used(tmp_path, healthy_server):
    record = record_served_server(tmp_path / SERVE_RECORD_NAME, f"http://127.0.0.1:{healthy_server}/api",
                                  server_pid=os.getpid())
    assert running_serve_api_url(record) == f"http://127.0.0.1:{healthy_server}/api"


@pytest.mark.parametrize("case", ["server gone", "serve gone", "server process gone", "hung server",
                                  "not loopback", "https", "other path", "no port", "pid as text",
                                  "not json", "a list", "empty", "no record"])
def test_a_record_that_cannot_be_trusted_is_ignored_within_half_a_second(tmp_path, healthy_server,
                                                                         silent_server, case):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    live = f"http://127.0.0.1:{healthy_server}/api"
    fields = {"api_url": live, "serve_pid": os.getpid(), "server_pid": os.getpid()}
    fields.update({
        "server gone": {"api_url": f"http://127.0.0.1:{closed_port}/api"},
        "serve gone": {"serve_pid": _dead_pid()},
        "server process gone": {"server_pid": _dead_pid()},
        "hung server": {"api_url": f"http://127.0.0.1:{silent_server}/api"},
        "not loopback": {"api_url": f"http://localhost.example:{healthy_server}/api"},
        "https": {"api_url": f"https://127.0.0.1:{healthy_server}/api"},
        "other path": {"api_url": f"http://127.0.0.1:{healthy_server}/api/../evil"},
        "no port": {"api_url": "http://127.0.0.1/api"},
        "pid as text": {"serve_pid": str(os.getpid())},
    }.get(case, {}))
    text = {"not json": "{api_url:", "a list": json.dumps([fields]), "empty": ""}.get(case, json.dumps(fields))
    record = tmp_path / SERVE_RECORD_NAME
    if case != "no record":
        record.write_text(text, encoding="utf-8")
    started = time.monotonic()
    assert running_serve_api_url(record) is None
    assert time.monotonic() - started < 0.6  # the probe's 0.5 s for a hung server, and a little


@pytest.mark.load
@pytest.mark.parametrize(("configured_by", "source"), [("environment", "configured"), ("profile", "configured"),
                                                      (None, "haquang serve")])
def test_a_configured_api_wins_over_a_running_serve(tmp_path, healthy_server, configured_by, source):
    """Decided in a fresh process, as Prefect reads its settings once: the environment or the
    active profile wins; without them the live serve is used, by threads that do not copy the
    caller's context too (Prefect's global settings), and by worker processes (the environment
    they inherit: without it, a profile's API reached the load process alone)."""
    home, elsewhere = tmp_path / "prefect_home", "http://127.0.0.1:9/api"
    served = f"http://127.0.0.1:{healthy_server}/api"
    record_served_server(home / SERVE_RECORD_NAME, served, server_pid=os.getpid())
    environment = prefect_env(home)
    if configured_by == "environment":
        environment["PREFECT_API_URL"] = elsewhere
    elif configured_by == "profile":
        (home / "profiles.toml").write_text(f'active = "mine"\n[profiles.mine]\nPREFECT_API_URL = "{elsewhere}"\n',
                                            encoding="utf-8")
    program = ("import os, threading; from flows.orchestration.runners import prefect_api_for_load; "
               "api = prefect_api_for_load(); from prefect.settings import get_current_settings; seen = []; "
               "thread = threading.Thread(target=lambda: seen.append(get_current_settings().api.url)); "
               "thread.start(); thread.join(); print(api.source, api.url, seen[0], os.environ.get('PREFECT_API_URL'), "
               "sep='|')")
    done = subprocess.run([sys.executable, "-c", program], env=environment, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = served if configured_by is None else elsewhere
    assert done.stdout.strip().split("|") == [source, expected, expected, expected]


@pytest.mark.load
@pytest.mark.parametrize("configured_by", ["profile", None])
def test_the_server_started_before_prefect_is_imported_gives_way_to_a_profiles_api(tmp_path, configured_by):
    """The CLI starts the temporary server before importing Prefect; not when the active profile
    names an API (Prefect's settings, read after the import, would stop it again)."""
    home, elsewhere = tmp_path / "prefect_home", "http://127.0.0.1:9/api"
    home.mkdir()
    if configured_by == "profile":
        (home / "profiles.toml").write_text(f'active = "mine"\n[profiles.mine]\nPREFECT_API_URL = "{elsewhere}"\n',
                                            encoding="utf-8")
    program = ("from flows.orchestration.runners import prefect_api_for_load; api = prefect_api_for_load(); "
               "from prefect.settings import get_current_settings; "
               "alive = api.server is not None and api.server.poll() is None; "
               "print(api.source, api.url == get_current_settings().api.url, alive, sep='|')")
    done = subprocess.run([sys.executable, "-c", program], env=prefect_env(home), cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = ["configured", "True", "False"] if configured_by else ["temporary server", "True", "True"]
    assert done.stdout.strip().split("|") == expected
    wait_for(lambda: not prefect_servers(home), 15, "no server of this home is left")


def test_serve_removes_only_its_own_record(tmp_path):
    record = record_served_server(tmp_path / SERVE_RECORD_NAME, "http://127.0.0.1:4200/api", server_pid=1)
    fields = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps({**fields, "serve_pid": fields["serve_pid"] + 1}), encoding="utf-8")
    remove_serve_record(record)  # another serve replaced it: it stays
    assert record.exists()
    record_served_server(record, "http://127.0.0.1:4200/api", server_pid=1)
    remove_serve_record(record)
    assert not record.exists()
    assert not list(tmp_path.iterdir())  # no temporary file left either


def test_a_child_started_with_end_with_this_process_ends_when_its_parent_is_sigkilled(tmp_path):
    """The mechanism under both servers, without Prefect: a parent that starts `sleep`, then is killed."""
    program = ("import subprocess, sys, time; from flows.core.own_process import end_with_this_process; "
               "child = subprocess.Popen(['sleep', '300'], preexec_fn=end_with_this_process()); "
               "print(child.pid, flush=True); time.sleep(300)")
    parent = subprocess.Popen([sys.executable, "-c", program], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        child = int(parent.stdout.readline())
        assert Path(f"/proc/{child}").exists()
        parent.kill()
        parent.wait()
        wait_for(lambda: not Path(f"/proc/{child}").exists() or _is_zombie(Path(f"/proc/{child}")), 10,
                 "the child ended with its parent")
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize(("files", "expected"), [
    ({}, False),
    ({"home/profiles.toml": 'active = "local"\n[profiles.local]\nPREFECT_LOGGING_LEVEL = "INFO"\n'}, False),
    ({"home/profiles.toml": 'active = "remote"\n[profiles.remote]\nPREFECT_API_URL = "http://10.0.0.2:4200/api"\n'},
     True),
    ({"work/prefect.toml": '[api]\nurl = "http://10.0.0.2:4200/api"\n'}, True),
    ({"work/.env": "PREFECT_API_URL=http://10.0.0.2:4200/api\n"}, True),
    ({"work/pyproject.toml": '[tool.prefect.api]\nurl = "http://10.0.0.2:4200/api"\n'}, True),
    ({"work/pyproject.toml": '[project]\nname = "x"\n'}, False),
    ({"home/profiles.toml": "not toml ["}, False),
])
def test_settings_outside_the_environment_leave_the_choice_of_server_to_prefect(tmp_path, monkeypatch, files,
                                                                                expected):
    from flows.orchestration.runners import _settings_beyond_the_environment

    for name, text in {"home/.keep": "", "work/.keep": "", **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    assert _settings_beyond_the_environment(tmp_path / "home") is expected


def test_serve_refuses_a_port_another_server_holds(tmp_path, healthy_server, monkeypatch):
    """A server that answers /api/health on the port is not ours: serve says so and starts nothing, rather than
    registering the nightly deployment (with this machine's paths) on it."""
    from flows.orchestration import serve

    started = []
    monkeypatch.setattr(serve, "start_local_server", lambda port: started.append(port))
    with pytest.raises(serve.ServerDidNotStart, match=f"port {healthy_server} on 127.0.0.1 is in use"):
        serve.serve_nightly(raw_dir=tmp_path / "raw", warehouse=tmp_path / "w.duckdb", port=healthy_server)
    assert started == []


def test_a_prefect_home_that_cannot_be_made_fails_the_load_in_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    env = {**os.environ, "PREFECT_HOME": str(blocker / "home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(REPO / "raw"),
                           "--warehouse", str(tmp_path / "w.duckdb")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("haquang load: Prefect could not start: ")
    assert "PREFECT_HOME" in done.stderr and not (tmp_path / "w.duckdb").exists()
