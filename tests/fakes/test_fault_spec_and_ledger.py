"""The parts every fake shares: fault shares drawn in their proportions, a ledger whose memory
stays flat in stats-only mode, and the command line that sets both for a fake run as a process."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.fakes.faults import FaultSpec, Ledger, parse_faults

ROOT = Path(__file__).resolve().parents[2]


def test_faults_are_drawn_in_their_shares_and_repeat_with_a_seed():
    # Given a spec of 20% hangs, 10% drops, 5% 500s and no 429s, seeded
    spec = FaultSpec().replace({**parse_faults("hang=0.2,drop=0.1,500=0.05,429=0"), "seed": 7})

    # When 10,000 sends draw
    draws = [spec.draw() for _ in range(10_000)]

    # Then each fault comes in its share (within 1.5 points), and the same seed draws the same
    for fault, share in (("hang", 0.2), ("drop", 0.1), ("500", 0.05), ("429", 0.0), (None, 0.65)):
        assert abs(draws.count(fault) / len(draws) - share) < 0.015, fault
    again = FaultSpec().replace({"hang": 0.2, "drop": 0.1, "500": 0.05, "seed": 7})
    assert [again.draw() for _ in range(10_000)] == draws


@pytest.mark.parametrize("spec", [{"hang": 0.7, "drop": 0.4}, {"slow": 0.1}, {"500": 1.5}, {"hang_seconds": -1}])
def test_a_spec_that_makes_no_sense_is_refused(spec):
    # Given shares above 1, an unknown fault, a share above 1 or a negative hang
    # When it is set, then it is refused
    with pytest.raises(ValueError):
        FaultSpec().replace(spec)


def test_the_stats_only_ledger_keeps_counts_and_a_window_of_messages():
    # Given a ledger that keeps only counts and the latest 100 messages
    ledger = Ledger(keep_messages=False, window=100)

    # When 5,000 messages are accepted for 2,500 references, and one without a reference
    for i in range(5_000):
        ledger.record(api="sms", reference=i // 2, to="33600000000", id=f"m{i}")
    ledger.record(api="sms", reference="", to="33600000000", id="unreferenced")

    # Then the counts are exact, only the window is kept, and the snapshot has no messages
    assert ledger.total == 5_001 and ledger.count(0) == 2 and ledger.count(2_499) == 2
    assert len(ledger.messages()) == 100 and ledger.messages()[-1].id == "unreferenced"
    snapshot = ledger.snapshot()
    assert set(snapshot) == {"total", "by_reference"} and len(snapshot["by_reference"]) == 2_500


@pytest.mark.parametrize("module, extra", [("esp", []), ("twilio", []), ("vonage", ["--dlr-url", "--dlr-share"])])
def test_each_fake_shows_its_fault_options(module, extra):
    # Given a fake run as a process
    # When asked for --help
    shown = subprocess.run(
        [sys.executable, "-m", f"tests.fakes.{module}", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    # Then it lists the fault options (and Vonage its receipt options)
    assert shown.returncode == 0, shown.stderr
    for option in ["--faults", "--hang-seconds", "--seed", "--stats-only", *extra]:
        assert option in shown.stdout, option


@pytest.fixture
def esp_process():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.esp", "--faults", "drop=1", "--stats-only"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    yield line.rsplit(" ", 1)[-1].strip()
    proc.terminate()
    proc.wait(timeout=10)


def test_a_fake_process_takes_its_faults_from_the_command_line(esp_process):
    # Given the fake ESP started with --faults drop=1 --stats-only
    url = esp_process

    # When a Postmark send is posted to it
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{url}email",
            json={
                "From": "shop@example.com",
                "To": "ada@example.com",
                "Subject": "Hi",
                "TextBody": "Hi",
                "Metadata": {"delivery_id": "9"},
            },
            headers={"X-Postmark-Server-Token": "t"},
            timeout=5,
        )

    # Then the connection was dropped, and the ledger counts the message without keeping it
    accepted = requests.get(f"{url}_fake/accepted", timeout=5).json()
    assert accepted == {"total": 1, "by_reference": {"9": 1}}
    faults = requests.get(f"{url}_fake/faults", timeout=5).json()
    assert faults == {"drop": 1.0, "hang_seconds": 6.0}
