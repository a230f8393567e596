"""Khidmat: shared plumbing (command line, broker launcher, logging) for every process."""

__version__ = "0.1.0"
