"""fastws' tests: a package, so that each folder mirrors one part of ``src/fastws`` and shares ``tests.helpers``."""
