"""An embedded pure-Python MQTT broker, for machines without Mosquitto.

``khidmat broker -c mosquitto.conf`` reads the config, password and ACL files that
``khidmat provision`` writes for Mosquitto and serves MQTT 3.1.1 and 5.0 from them: TLS
listeners, passwords, per-user ACLs with ``%u``/``%c`` patterns, persistent sessions with
offline queues, retained messages, wills, shared subscriptions, and state saved to
SQLite. It is for the demo and for a laptop; a deployment runs Mosquitto. What it leaves
out is in docs/decisions/embedded-broker.md.

Modules: ``packets`` (wire codec), ``topics`` (filters), ``config`` (mosquitto.conf),
``access`` (passwords, ACL), ``session`` (per-client state), ``core`` (routing),
``connection`` (one socket), ``persistence`` (SQLite state), ``server`` (listeners, signals).
"""
