"""Per-library writers used by ../make_real.py. Each module writes files with one library's own save calls."""
