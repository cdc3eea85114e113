"""Allow ``python -m sreflash``."""

from sreflash.cli import main

main()
