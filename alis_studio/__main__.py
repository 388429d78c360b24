from alis_studio.cli import entry

entry()
