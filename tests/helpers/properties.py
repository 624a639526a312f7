"""What the property tests share: hypothesis settings (``FAST`` properties get more
examples than ``SLOW`` ones) and the pieces random query strings are made of."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of query strings: separators, good and bad percent-escapes, non-ASCII text.
QS_PIECES = [
    "a", "b", "key", "=", "==", "&", "&&", "+", "++", "%", "%2", "%20", "%41", "%zz", "%g1", "%C3%A9", "%c3",
    "%E2%82", "%E2%82%AC", "%ff", "%FF%FE", "%25", "%2B", "%26", "%3D", "%00", ";", " ", "\t", "\xe9", "\u20ac",
    "\U0001f600", "%F0%9F%98%80", "%ED%A0%80", "?", "#",
]  # fmt: skip
