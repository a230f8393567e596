"""Simulated hardware: the fingerprint sensor chip on a pty and synthetic fingerprints.

Nothing heavy is imported here (the ``khidmat`` CLI imports this package at start-up);
import the simulator from :mod:`edge_agent.sim.sensor`.
"""
