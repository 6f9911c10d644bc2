"""Every example value README's configuration tables give for a setting (its default, and each
"e.g." value) is loaded by the settings module: a newcomer who copies one gets a working start,
not a traceback."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICKED = re.compile(r"`([^`]+)`")
EXAMPLE = re.compile(r"e\.g\. `([^`]+)`")
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+")  # a default that names another setting

# Loads each (name, value) into a fresh settings module, in one process: prints what failed.
LOADER = """
import importlib, json, os, sys
base, failed = dict(os.environ), []
for name, value in json.loads(sys.stdin.read()):
    os.environ.clear(); os.environ.update(base); os.environ[name] = value
    sys.modules.pop("config.settings", None)
    try:
        importlib.import_module("config.settings")
    except Exception as exc:
        failed.append([name, value, f"{type(exc).__name__}: {exc}"])
print(json.dumps(failed))
"""


def _split_outside_ticks(cell: str) -> list[str]:
    """``a`, `b`` or ``a` / `b`` -> one part per setting (separators inside backticks kept)."""
    parts, current, ticked = [], "", False
    i = 0
    while i < len(cell):
        ch = cell[i]
        if ch == "`":
            ticked = not ticked
        if not ticked and cell.startswith((", ", " / "), i):
            parts.append(current)
            current, i = "", i + (2 if cell[i] == "," else 3)
            continue
        current += ch
        i += 1
    return [p.strip() for p in [*parts, current]]


def readme_examples() -> list[tuple[str, str]]:
    """(variable, value) for every example value of README's `| Variable | Default | ... |` tables."""
    examples, in_table = [], False
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells[:2] == ["Variable", "Default"]:
            in_table = True
            continue
        if not cells:
            in_table = False
        if not in_table or set(cells[0]) <= {"-", ":"}:
            continue
        names = TICKED.findall(cells[0])
        parts = [cells[1]] if len(names) == 1 else _split_outside_ticks(cells[1])
        if len(parts) == len(names):
            defaults = list(zip(names, parts, strict=True))
        elif len(parts) == 1:
            defaults = [(name, parts[0]) for name in names]
        else:
            raise AssertionError(f"{cells[0]}: {len(names)} settings, {len(parts)} defaults: {cells[1]}")
        for name, part in defaults:
            value = next(iter(TICKED.findall(part)), None)
            if value is not None and not SETTING_NAME.fullmatch(value):
                examples.append((name, value))
        for example in EXAMPLE.findall(" ".join(cells[2:])):
            named, sep, value = example.partition("=")
            if sep and named in names:
                examples.append((named, value))
            elif len(names) == 1:
                examples.append((names[0], example))
    return examples


def load(examples) -> list:
    result = subprocess.run(
        [sys.executable, "-c", LOADER],
        input=json.dumps(examples),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_readme_tables_are_read():
    # given README's configuration tables, then their examples are found (a sample of them)
    examples = readme_examples()
    assert {
        ("FREQUENCY_CAPS", "email=10,sms=4,whatsapp=4,push=6"),
        ("RECONCILE_SETTLE_SECONDS", "postmark=120;mailgun=600;twilio=60;vonage=600"),
        ("DATABASE_URL", "postgres://user:pass@host:5432/waypost"),
        ("DELIVERY_BACKOFF_MAX_SECONDS", "900"),
        ("WEBPUSH_VAPID_SUBJECT", "mailto:push@waypost.example"),
        ("SMS_ROUTES", "US,CA=twilio,vonage;*=vonage,twilio"),
        ("SMS_RATE_LIMITS", "vonage=30,twilio=30"),
    } <= set(examples)
    assert len({name for name, _ in examples}) >= 40


def test_every_documented_example_value_loads():
    # when settings load with each documented value, then none is refused
    assert load(readme_examples()) == []


def test_key_value_settings_read_both_separators_and_refuse_nonsense():
    probe = """
import json, os, sys
os.environ.update(FREQUENCY_CAPS="email=10,sms=4;push=6", SMS_SENDER_NUMBERS="US=+12025550100;CA=+12025550101")
import config.settings as s
print(json.dumps([s.FREQUENCY_CAPS, s.SMS_SENDER_NUMBERS]))
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        {"email": 10, "sms": 4, "push": 6},
        {"US": "+12025550100", "CA": "+12025550101"},
    ]
    [(name, value, error)] = load([("FREQUENCY_CAPS", "email=ten")])
    assert error.startswith("ImproperlyConfigured: FREQUENCY_CAPS: 'email=ten' is not key=value")
