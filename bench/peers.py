"""The comparisons, same machine, same fake ESP, same message count:

- django-post-office, installed from PyPI into ``var/bench/postoffice`` (a venv the bench makes;
  nothing of it is committed) with a throwaway Django project generated under
  ``var/bench/postoffice_project``: N templated emails queued with ``mail.send_many`` and sent by
  its ``send_queued_mail --processes P`` (its multi-process sender; each process uses its
  default thread pool) through anymail's Postmark backend;
- the floor (``bench/floor.py``): one INSERT and one POST per message, nothing else.
Both are timed like Waypost: from the first queued commit to the ESP's last acceptance."""

import json
import subprocess
import sys
import time
from pathlib import Path

VAR = Path(__file__).resolve().parent.parent / "var" / "bench"
PO_VENV = VAR / "postoffice"
PO_PROJECT = VAR / "postoffice_project"
PO_PACKAGES = ["django-post-office", "django-anymail[postmark]", "psycopg[binary]", "celery", "redis"]

SETTINGS = """
import os
SECRET_KEY = "bench-postoffice-throwaway"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "post_office", "anymail"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "{name}", "USER": "{user}",
                          "HOST": "{host}", "PORT": "{port}", "PASSWORD": "{password}", "CONN_MAX_AGE": 60}}}}
EMAIL_BACKEND = "post_office.EmailBackend"
POST_OFFICE = {{"BACKENDS": {{"default": "anymail.backends.postmark.EmailBackend"}}, "DEFAULT_PRIORITY": "medium"}}
ANYMAIL = {{"POSTMARK_SERVER_TOKEN": "bench-token", "POSTMARK_API_URL": "{esp}/", "REQUESTS_TIMEOUT": 15.0}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}}]
LOGGING = {{"version": 1, "disable_existing_loggers": False, "root": {{"level": "WARNING"}}}}
"""

DRIVER = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
sys.path.insert(0, os.path.dirname(__file__))
import django
django.setup()
from django.db import transaction
from post_office import mail
from post_office.models import Email, EmailTemplate

n = int(sys.argv[1])
EmailTemplate.objects.update_or_create(name="shipment_delivered", defaults=dict(
    subject="Your order {{ number }} was delivered",
    content="Hi {{ name }},\\n\\nyour order {{ number }} was delivered by {{ carrier }}.\\nTrack it: {{ tracking_url }}\\n",
    html_content="<p>Hi {{ name }},</p><p>your order <b>{{ number }}</b> was delivered by {{ carrier }}.</p>"
                 "<p><a href=\\"{{ tracking_url }}\\">Track it</a></p>"))
t0 = time.time()
for start in range(0, n, 1000):
    with transaction.atomic():
        mail.send_many([dict(recipients=[f"c{i}@postoffice.example"], sender="Bench Outfitters <orders@bench.example>",
                             template="shipment_delivered",
                             context={"name": f"Customer {i}", "number": f"B-{i}", "carrier": "UPS",
                                      "tracking_url": f"https://track.example/{i}"}) for i in range(start, min(n, start + 1000))])
queued = time.time()
print(json.dumps({"t0": t0, "queued_at": queued}))
"""


def _run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def ensure_postoffice_venv() -> str:
    python = PO_VENV / "bin" / "python"
    clean = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("DJANGO_", "ANYMAIL_"))}
    if not (
        python.exists()
        and subprocess.run(
            [str(python), "-c", "import post_office, anymail, psycopg"], capture_output=True, env=clean
        ).returncode
        == 0
    ):
        print("bench: installing django-post-office into var/bench/postoffice (from PyPI)", flush=True)
        _run([sys.executable, "-m", "venv", "--clear", str(PO_VENV)])
        _run([str(python), "-m", "pip", "install", "-q", *PO_PACKAGES])
    return str(python)


def postoffice(bench, n: int, concurrency: int) -> dict:
    import os
    from urllib.parse import urlparse

    from bench.run import create_database, drop_database

    python = ensure_postoffice_venv()
    version = _run(
        [python, "-c", "import importlib.metadata as m; print(m.version('django-post-office'))"]
    ).stdout.strip()
    db_url = bench.env["DATABASE_URL"].rsplit("/", 1)[0] + "/waypost_bench_postoffice"
    u = urlparse(db_url)
    PO_PROJECT.mkdir(parents=True, exist_ok=True)
    (PO_PROJECT / "settings.py").write_text(
        SETTINGS.format(
            name=u.path.lstrip("/"),
            user=u.username or "postgres",
            host=u.hostname or "127.0.0.1",
            port=u.port or 5432,
            password=u.password or "",
            esp=bench.esp_url,
        )
    )
    (PO_PROJECT / "manage.py").write_text(
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"
        "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n"
    )
    (PO_PROJECT / "drive.py").write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ANYMAIL_", "DATABASE_"))}
    processes = os.cpu_count() or 1
    create_database(db_url)
    try:
        _run([python, "manage.py", "migrate", "-v", "0"], cwd=PO_PROJECT, env=env)
        bench.esp_reset()
        queued = json.loads(_run([python, "drive.py", str(n)], cwd=PO_PROJECT, env=env).stdout.strip().splitlines()[-1])
        sent_cmd = time.time()
        _run([python, "manage.py", "send_queued_mail", "--processes", str(processes)], cwd=PO_PROJECT, env=env)
        done = time.time()
        counts = _run(
            [
                python,
                "-c",
                "import os,sys; os.environ['DJANGO_SETTINGS_MODULE']='settings'; sys.path.insert(0,'.');"
                "import django; django.setup(); from post_office.models import Email; from django.db.models import Count;"
                "import json; print(json.dumps(dict(Email.objects.values_list('status').annotate(n=Count('id')))))",
            ],
            cwd=PO_PROJECT,
            env=env,
        ).stdout.strip()
        stats = bench.esp_stats()
    finally:
        drop_database(db_url)
    seconds = (stats["last_at"] or done) - queued["t0"]
    result = {
        "version": version,
        "emails": n,
        "accepted_by_esp": stats["ok"],
        "esp_errors": stats["errors"],
        "status_counts (0=sent,1=failed,2=queued)": json.loads(counts),
        "setup": f"mail.send_many in chunks of 1000, then send_queued_mail --processes {processes} "
        f"(default THREADS_PER_PROCESS=5, BATCH_SIZE=100), anymail Postmark backend",
        "queue_seconds": round(queued["queued_at"] - queued["t0"], 2),
        "send_seconds": round(done - sent_cmd, 2),
        "seconds_first_commit_to_last_acceptance": round(seconds, 2),
        "emails_per_s": round(stats["ok"] / seconds, 1) if seconds else None,
        "waypost_send_concurrency": concurrency,
    }
    print(
        f"bench: django-post-office {version}: {stats['ok']} emails in {seconds:.1f} s = {result['emails_per_s']}/s",
        flush=True,
    )
    return result


def floor(bench, n: int, concurrency: int) -> dict:
    bench.esp_reset()
    out = _run(
        [
            sys.executable,
            "-m",
            "bench.floor",
            "--database-url",
            bench.env["DATABASE_URL"],
            "--esp-url",
            bench.esp_url,
            "--messages",
            str(n),
            "--concurrency",
            str(concurrency),
        ],
        cwd=str(VAR.parent.parent),
        env=bench.env,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    stats = bench.esp_stats()
    result["accepted_by_esp"] = stats["ok"]
    print(
        f"bench: floor: {result['messages']} messages in {result['seconds']} s = {result['messages_per_s']}/s",
        flush=True,
    )
    return result
