"""User-facing errors: one class per layer (DESIGN.md 3.5). The message names the file and the problem.

The CLI prints `alis-studio: error: <message>` and exits 2; the GUI shows the message in a dialog.
What is not fatal is returned, not warned (a dataset's skipped files, the ONNX Runtime provider a
bundle really got), and the caller logs or shows it on its own line: no warning class.
"""


class UserError(Exception):
    """Bad input or environment, reported to the user as one line (never a traceback)."""


class ModelError(UserError):
    """A model bundle (.alis) that cannot be used."""


class SessionError(UserError):
    """A session file that cannot be read or written."""


class ExportError(UserError):
    """An export that cannot be done (unwritable path, full disk, format limits)."""


class DatasetError(UserError):
    """A training dataset that cannot be used."""


class Cancelled(Exception):
    """A render, export or write stopped because its cancel callback returned True (writers leave
    nothing behind). Not an error: the one class every layer raises and catches."""
