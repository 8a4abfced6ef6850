"""`python -m torchkeras_api run script.py [args...]`: runs an unmodified `import tensorflow` script on torch."""
import argparse
import os
import runpy
import sys
from typing import List, Optional

from torchkeras_api.importer import install


def run_script(path: str, args: List[str]) -> None:
    """Runs `path` as `__main__` with the facade installed, `sys.argv` = [path, *args], its folder on sys.path."""
    if not os.path.isfile(path):
        raise SystemExit(f"torchkeras_api run: no such script: {path}")
    install()
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")


def main(argv: Optional[List[str]] = None) -> int:
    """Parses the command line and runs the command; a script's `sys.exit(code)` exits with that code."""
    parser = argparse.ArgumentParser(prog="python -m torchkeras_api",
                                     description="Run tf.keras scripts on torch with torchkeras_api.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a script that imports tensorflow / keras, unchanged")
    run.add_argument("script", help="path of the Python script")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    options = parser.parse_args(argv)
    run_script(options.script, options.args)
    return 0


def run_cli() -> int:
    """The `tka-run script.py [args...]` console script."""
    return main(["run", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
