from alis_studio.cli.main import entry

if __name__ == "__main__":  # spawned worker processes re-import this module: run the CLI only once
    entry()
