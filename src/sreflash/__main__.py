"""The ``sreflash`` command, also run by ``python -m sreflash``."""

import gc


def run() -> None:
    """Load the command line with the cycle collector held off, then run it."""
    # Importing Textual, Rich and the rest makes a great many objects that all
    # live as long as the process; the collector would scan them over and over
    # for nothing, a tenth of every start. Once loaded they are moved out of its
    # reach and it resumes.
    gc.disable()
    from sreflash.cli import main

    gc.freeze()
    gc.enable()
    main()


if __name__ == "__main__":
    run()
