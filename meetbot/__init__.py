"""meetbot: an announced engagement bot for online networking meetings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meetbot")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
