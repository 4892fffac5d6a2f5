"""Data tools run from the CLI, not by the app: `fieldline demo` (demo.py, a small agency
to log in to) and `fieldline seed` (seed.py, a large one for benchmarks)."""
