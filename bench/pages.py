"""Benchmark: Beeldrecht's busiest pages under load, against a TechEmpower-style "fortunes" page.

gunicorn with 2 workers (the repository's gunicorn.conf.py) on PostgreSQL, 50 concurrent clients
(wrk, from Debian) for 20 s per page:

- the parent's page of one child (/consent/<pupil>),
- the teacher's consent overview of a group of 30 pupils (/consent/groups/<group>),
- communications' library with 100 items (/media/?...),
- the floor: the parent's account page (/account: one statement, a small form), the lightest page a
  signed-in user gets; it has no goal and shows what any signed-in page costs here (the session, the
  account and its roles, the rate limiter, the metrics, the layout with its menu) before its content,
- the baseline: bench/fortunes_app.py (12 rows read, one added, sorted, rendered with Jinja) served by
  the same gunicorn settings against the same database, measured before and after the pages (its median
  is the baseline: the machine is shared and noisy, read the ratios).

The school has 5,000 pupils (bench/school_data.py). The overview is measured with 10k and again with
1M decision events in the database, to show its time does not grow with the history.

Goals (issue 11): parent ≥ 0.6x fortunes, library ≥ 0.4x, overview ≥ 0.3x, p99 ≤ 250 ms, no non-2xx.

    python bench/pages.py [--seconds 20] [--connections 50] [--sizes 10000,1000000]
                          [--database-url postgresql://postgres@localhost/beeldrecht_bench_pages]
    python bench/pages.py --profile overview    # one page under cProfile in-process, top 25 functions
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from school_data import GROUP_SIZE, build_school  # noqa: E402

PASSWORD = "bench marks run all night"  # noqa: S105 - a throwaway database
GOALS = {"parent": 0.6, "library": 0.4, "overview": 0.3}
LIBRARY_ITEMS = 100

# wrk counts 3xx as success; this script counts every status other than 200 (a redirect to the
# sign-in page would otherwise pass as a fast page), summed over wrk's threads.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("NON200 %d\\n", total))
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_200: int
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's wrk ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)  # noqa: S607 - Debian's apt-get, found on PATH
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is missing: apt-get install wrk")
    return found


def fresh_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url.replace("+psycopg", ""))
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def server_environment(url: str, folder: Path) -> dict[str, str]:
    return dict(
        os.environ,
        BEELDRECHT_ENV="production",
        BEELDRECHT_DATABASE_URL=url,
        BEELDRECHT_SECRET_KEY=secrets.token_urlsafe(48),
        BEELDRECHT_AUDIT_HMAC_KEY=secrets.token_urlsafe(32),
        BEELDRECHT_BASE_URL="http://127.0.0.1",
        BEELDRECHT_FORCE_HTTPS="false",
        BEELDRECHT_HSTS="false",
        BEELDRECHT_SESSION_COOKIE_SECURE="false",
        BEELDRECHT_MEDIA_ROOT=str(folder / "media"),
        BEELDRECHT_CONSENT_FORMS_DIR=str(folder / "forms"),
        WEB_CONCURRENCY="2",
    )


def build(url: str, folder: Path) -> dict[str, Any]:
    """The school, the people who sign in, a library of 100 items, and 10k decisions."""
    from flask_migrate import upgrade
    from fortunes_app import fill
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts.models import Role, User
    from app.accounts.passwords import hash_password
    from app.consent.operations import rebuild_latest_decisions
    from app.extensions import db
    from app.media.models import Album, MediaItem, Tag
    from app.school.models import Person, PersonKind, group_pupil, group_teacher
    from app.timestamps import school_today, utcnow

    app = create_app("production")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        school = build_school(folder)
        group = school.groups[len(school.groups) // 2]
        pupils = db.session.scalars(
            select(group_pupil.c.person_id).where(group_pupil.c.group_id == group.id).order_by(group_pupil.c.person_id)
        ).all()
        assert len(pupils) == GROUP_SIZE, len(pupils)
        child = pupils[0]
        index = school.pupils.index(child)
        teacher = Person(kind=PersonKind.STAFF, first_name="Juf", last_name="Bench", email="teacher@bench.example")
        db.session.add(teacher)
        db.session.flush()
        db.session.execute(insert(group_teacher), [{"group_id": group.id, "person_id": teacher.id}])
        accounts = {
            "parent": (school.guardians[2 * index], {Role.PARENT}),
            "teacher": (teacher.id, {Role.TEACHER}),
            "comms": (None, {Role.COMMUNICATIONS}),
        }
        hashed = hash_password(PASSWORD)
        for name, (person_id, roles) in accounts.items():
            user = User(email=f"{name}@bench.example", password_hash=hashed, person_id=person_id, locale="nl")
            db.session.add(user)
            db.session.flush()
            user.set_roles(roles)
        album = Album(group_id=group.id, title="Sportdag", taken_on=school_today())
        db.session.add(album)
        db.session.flush()
        rng = random.Random(11)
        items = list(
            db.session.execute(
                insert(MediaItem).returning(MediaItem.id),
                [
                    {
                        "sha256": secrets.token_hex(32),
                        "media_type": "photo",
                        "mime_type": "image/jpeg",
                        "size_bytes": 2_000_000,
                        "width": 4000,
                        "height": 3000,
                        "group_id": group.id,
                        "album_id": album.id,
                        "uploaded_at": utcnow(),
                        "tags_complete": True,
                    }
                    for _ in range(LIBRARY_ITEMS)
                ],
            ).scalars()
        )
        db.session.execute(
            insert(Tag),
            [{"media_id": item, "person_id": p} for item in items for p in rng.sample(list(pupils), 3)],
        )
        db.session.commit()
        from school_data import add_decisions

        moment = utcnow()
        add_decisions(school, 0, 10_000, rng, moment)
        # The child's own guardian answered every question, so the page is the overview, not the form.
        add_decisions(school, 10_000, 10_200, rng, moment, choose=lambda: index)
        rebuild_latest_decisions()
        db.session.commit()
        fill(url)
        return {"school": school, "group": group.id, "child": child, "rng": rng, "app": app, "have": 10_200}


def grow_history(state: dict[str, Any], size: int) -> None:
    from school_data import add_decisions
    from sqlalchemy import text

    from app.consent.operations import rebuild_latest_decisions
    from app.extensions import db
    from app.timestamps import utcnow

    with state["app"].app_context():
        add_decisions(state["school"], state["have"], size, state["rng"], utcnow())
        state["have"] = size
        rebuild_latest_decisions()
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def start_server(app_spec: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (the fortunes app has no /healthz)
        except OSError:
            time.sleep(0.3)
    stop(process)
    sys.exit(f"{app_spec} did not start on port {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def session_cookie(base: str, email: str) -> str:
    """Sign in through the sign-in page, as a browser does; the session cookie for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": PASSWORD}).encode()
    opener.open(f"{base}/sign-in", data=data).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "beeldrecht_session" in cookies, f"signing in as {email} failed"
    return cookies


def check_page(url: str, cookie: str) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect())
    response = opener.open(request)
    if response.status != 200:
        sys.exit(f"{url} answers {response.status}, not 200: the benchmark would measure the wrong page")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def run_wrk(wrk: str, name: str, url: str, cookie: str | None, seconds: int, connections: int) -> Result:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT)
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    script.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _latency_ms(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _latency_ms(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    non_200 = int(re.search(r"NON200 (\d+)", output).group(1))  # type: ignore[union-attr]
    errors_line = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = sum(int(n) for n in errors_line.groups()) if errors_line else 0
    return Result(name, rps, p50, p99, non_200, errors)


def _latency_ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group(0)), re.sub(r"[\d.]+", "", text)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def profile(state: dict[str, Any], page: str, pages: dict[str, str]) -> None:
    """One page rendered 200 times in-process under cProfile (the signed-in test client)."""
    import cProfile
    import pstats

    app = state["app"]
    client = app.test_client()
    with client:
        token_page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)  # type: ignore[union-attr]
        email = {"parent": "parent", "overview": "teacher", "library": "comms"}[page]
        client.post("/sign-in", data={"csrf_token": token, "email": f"{email}@bench.example", "password": PASSWORD})
        path = pages[page]
        assert client.get(path).status_code == 200
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(200):
            client.get(path)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--sizes", default="10000,1000000", help="decision events for the overview's two runs")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@localhost/beeldrecht_bench_pages")
    parser.add_argument("--profile", choices=["parent", "overview", "library"])
    args = parser.parse_args()
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    fresh_database(args.database_url)
    env = server_environment(args.database_url, folder)
    os.environ.update({k: v for k, v in env.items() if k.startswith("BEELDRECHT_")})
    print(f"Building the school in {args.database_url} ...", flush=True)
    state = build(args.database_url, folder)
    pages = {
        "parent": f"/consent/{state['child']}",
        "overview": f"/consent/groups/{state['group']}",
        "library": f"/media/?group={state['group']}",
    }
    if args.profile:
        profile(state, args.profile, pages)
        return

    app_port, fortunes_port = 8731, 8732
    results: list[Result] = []
    fortunes = start_server("bench.fortunes_app:create()", env, fortunes_port)
    beeldrecht = start_server("wsgi:app", env, app_port)
    try:
        base = f"http://127.0.0.1:{app_port}"
        cookies = {
            "parent": session_cookie(base, "parent@bench.example"),
            "overview": session_cookie(base, "teacher@bench.example"),
            "library": session_cookie(base, "comms@bench.example"),
        }
        for name, path in pages.items():
            check_page(base + path, cookies[name])
        fortunes_url = f"http://127.0.0.1:{fortunes_port}/fortunes"
        print(f"gunicorn 2 workers (gthread), {args.connections} clients, {args.seconds} s per page", flush=True)

        def measure(name: str, url: str, cookie: str | None) -> Result:
            result = run_wrk(wrk, name, url, cookie, args.seconds, args.connections)
            results.append(result)
            print(
                f"  {name:<22}{result.rps:>9.1f} req/s  p50 {result.p50_ms:>7.1f} ms  p99 {result.p99_ms:>7.1f} ms"
                f"  non-200 {result.non_200}  socket errors {result.errors}",
                flush=True,
            )
            return result

        sizes = [int(s) for s in args.sizes.split(",")]
        measure("fortunes", fortunes_url, None)
        for name in ("parent", "library", "overview"):
            measure(name, base + pages[name], cookies[name])
        measure("floor (account)", base + "/account", cookies["parent"])
        measure("fortunes", fortunes_url, None)
        for size in sizes[1:]:
            stop(beeldrecht)
            print(f"Growing the decision history to {size:,} events ...", flush=True)
            grow_history(state, size)
            beeldrecht = start_server("wsgi:app", env, app_port)
            measure(f"overview@{size // 1000}k", base + pages["overview"], cookies["overview"])
            measure("fortunes", fortunes_url, None)
    finally:
        stop(beeldrecht)
        stop(fortunes)

    baseline = statistics.median(r.rps for r in results if r.name == "fortunes")
    print(f"\nbaseline: fortunes median {baseline:.1f} req/s")
    print(f"{'page':<16}{'req/s':>9}{'ratio':>8}{'goal':>7}{'p99 ms':>9}{'non-200':>9}")
    ok = True
    for result in results:
        if result.name == "fortunes":
            continue
        goal = GOALS.get(result.name.split("@")[0])
        ratio = result.rps / baseline
        good = (goal is None or ratio >= goal) and result.p99_ms <= 250 and result.non_200 == 0 and not result.errors
        if goal is not None:  # the floor is shown, not judged
            ok &= good
        print(
            f"{result.name:<16}{result.rps:>9.1f}{ratio:>7.2f}x{(f'{goal:.1f}x' if goal else ''):>7}"
            f"{result.p99_ms:>9.1f}{result.non_200:>9}  {('ok' if good else 'MISSED') if goal else '(no goal)'}"
        )
    overviews = [r for r in results if r.name.startswith("overview")]
    if len(overviews) > 1:
        growth = (1 / overviews[-1].rps) / (1 / overviews[0].rps)
        ok &= growth <= 1.3
        print(f"overview time at {sizes[-1]:,} events vs {sizes[0]:,}: {growth:.2f}x (goal ≤ 1.3x)")
    print("all goals met" if ok else "some goals missed")


if __name__ == "__main__":
    main()
