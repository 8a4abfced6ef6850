"""The source of a Python program that runs several scripts as `__main__` in one interpreter (so a heavy
import like TensorFlow happens once), after a setup, and exits with an error naming those that failed."""
import textwrap


def driver_source(setup: str, clear_session: str, label: str) -> str:
    """`setup` runs first; `clear_session` before each script (given as the program's arguments)."""
    return textwrap.dedent(setup) + textwrap.dedent(f"""
        import runpy, sys, traceback
        failed = []
        for path in sys.argv[1:]:
            {clear_session}
            sys.argv = [path]
            try:
                runpy.run_path(path, run_name="__main__")
            except BaseException:
                traceback.print_exc()
                failed.append(path)
        if failed:
            sys.exit("failed under {label}: " + ", ".join(failed))
    """)
