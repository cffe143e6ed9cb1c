"""Benchmark: does the password-reset form answer as fast for a real account as for an unknown address?

Before the job queue, the reset mail was sent inside the request, so an address with an account took
about twice as long to answer: anyone could learn who has an account by timing the form. With the mail
sent by a job, making the token and rendering the mail in the request still took 2.7x as long (16.8 ms
against 6.2 ms). Now the request writes only the address and a job, for every address, and the job
makes and mails the link when an account has it (``app.accounts.tasks``).

In this process: the app on SQLite in a temporary folder (``tests.factories.build_school``), jobs handed
to the real Redis (``BEELDRECHT_REDIS_URL``, default 127.0.0.1:6379) on a queue of its own that no worker
reads (a request only hands the job over, as in production), and the rate limits off. The form is posted
alternately for parent@example.org and for an unknown address, ``--rounds`` times each; prints the
medians and their ratio (goal: within 10%, the machine's noise).

    python bench/reset_timing.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-reset-"))
    os.environ.update(
        BEELDRECHT_DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        BEELDRECHT_MEDIA_ROOT=str(folder / "media"),
        BEELDRECHT_JOB_QUEUE=f"bench-reset-{secrets.token_hex(4)}",  # nobody reads it
        BEELDRECHT_JOBS_EAGER="false",
        BEELDRECHT_RATELIMIT_ENABLED="false",  # the same address hundreds of times: the limiter would refuse
    )
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.models import PasswordResetRequest
    from app.extensions import db
    from tests.factories import build_school

    app = create_app("development")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        build_school()
        db.session.commit()
    client = app.test_client()
    page = client.get("/password/forgot").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    times: dict[str, list[float]] = {"real account": [], "unknown address": []}
    addresses = {"real account": "parent@example.org", "unknown address": "nobody@example.org"}
    for _ in range(args.rounds):
        for name, email in addresses.items():
            started = time.perf_counter()
            response = client.post("/password/forgot", data={"csrf_token": token, "email": email})
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 302, response.status_code
    with app.app_context():
        waiting = db.session.query(PasswordResetRequest).count()
    real, unknown = (statistics.median(times[n]) * 1000 for n in addresses)
    print(f"{args.rounds} rounds of each; requests waiting for the (absent) worker: {waiting}")
    print(f"  real account      median {real:6.2f} ms")
    print(f"  unknown address   median {unknown:6.2f} ms")
    ratio = real / unknown
    print(f"  ratio real/unknown {ratio:.2f} (goal ≤ 1.10)")
    print("goal met" if ratio <= 1.10 else "goal missed")


if __name__ == "__main__":
    main()
