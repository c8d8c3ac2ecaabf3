"""`yabot_error_rate`: the share of 5xx over the last minute, O(1) per request."""

from __future__ import annotations

from yabot.observability.metrics import ERROR_WINDOW_S, _ErrorWindow


def test_share_of_failures_in_the_last_minute() -> None:
    window = _ErrorWindow()
    assert window.add(False, 1000.0) == 0.0
    assert window.add(True, 1000.5) == 0.5
    assert window.add(False, 1010.0) == 1 / 3
    # a minute later the first second's responses have left the window
    assert window.add(False, 1000.0 + ERROR_WINDOW_S) == 0.0
    assert window.add(True, 1010.0 + ERROR_WINDOW_S) == 0.5
