"""Sikap: sentence-level sentiment and stance toward NATO, Russia and Ukraine in Indonesian news."""

from sikap.errors import SikapError

__all__ = ["SikapError"]
__version__ = "0.1.0"
