"""The `alis-studio` command: `main` parses and dispatches; one module per sub-command (info, render,
gui, export, eval, train) adds its parser with `add_parser(subparsers)` and imports what is heavy
only inside its run function. `options` holds the generator options render and export share."""
