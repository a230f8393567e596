"""Khidmat's floor: plumbing every process shares, importing nothing else of ours.

The MQTT session (:mod:`~khidmat_base.mqtt`), SQLite connections (:mod:`~khidmat_base.sqlite`),
systemd notification (:mod:`~khidmat_base.systemd`), config sections
(:mod:`~khidmat_base.config`), the clock port (:mod:`~khidmat_base.clock`), Mosquitto's
files and process (:mod:`~khidmat_base.mosquitto`) and the command tree that packages
register their subcommands on (:mod:`~khidmat_base.cli`). Apps and devices import from here;
nothing here imports them (tests/test_import_layers.py).
"""

__version__ = "0.1.0"
