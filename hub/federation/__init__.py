"""Provinces federated: cross-province gate searches over Mosquitto bridges.

- :mod:`hub.federation.settings`: the hub config's ``[federation]`` section
- :mod:`hub.federation.service`: :class:`~hub.federation.service.Federation`, both sides
  of a cross-province search (asking and answering), audited in
  :mod:`hub.store.federation`

Nothing heavy is imported here (hub.config reads the settings).
"""
