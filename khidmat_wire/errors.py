"""The one error type of the wire protocol."""


class WireError(ValueError):
    """A topic or payload that breaks the protocol.

    ``field`` is the dotted path of the offending part (``body.candidates[2].score``,
    ``topic``, ``payload``); ``reason`` says what is wrong with it in plain words.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
