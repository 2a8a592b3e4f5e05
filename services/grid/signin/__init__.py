"""Signing in to the console: staff passwords tied to the person registry, residents'
one-time codes, throttling. The state lives in grid-owned tables (`store.py`), not in events:
docs/console.md, "Sign-in", says why."""
