"""Writers for ../make_formats.py: one module per model format."""
