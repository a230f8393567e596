"""``khidmat console``: the hub operator's Textual app (also served in a browser).

One module per screen or widget: devices, complaints (with the status dialog), alerts,
quarantine, search; :mod:`hub.console.backend` is the only part that touches the
database, and panes call it from thread workers. Every string that came from a person or
a device is rendered as plain text (:func:`hub.console.text.plain`), never as markup.
"""
