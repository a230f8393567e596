"""bench: benchmarks that measure and print figures (``khidmat bench ...``)."""
