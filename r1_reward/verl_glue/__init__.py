"""Every touch of verl internals: hooks verl lacks and fixes for verl bugs our users hit.

Each module names the verl version it was written against and the upstream issue that would retire it; each is
pinned in ``tests/test_verl_api.py``.
"""
