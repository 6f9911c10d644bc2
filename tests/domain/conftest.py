"""Fixtures for the domain tests."""

import pytest

from tests.domain.helpers import SignalRecorder


@pytest.fixture
def record_signal():
    """``record_signal(signal)`` connects a recorder for the test's duration and returns it."""
    connected = []

    def connect(signal):
        recorder = SignalRecorder(signal)
        uid = f"test-recorder-{id(recorder)}"
        signal.connect(recorder, weak=False, dispatch_uid=uid)
        connected.append((recorder, uid))
        return recorder

    yield connect
    for recorder, uid in connected:
        recorder.signal.disconnect(dispatch_uid=uid)
