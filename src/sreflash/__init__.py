"""sreflash: drill SRE and DevOps interview material in the terminal."""

__version__ = "0.1.0"
