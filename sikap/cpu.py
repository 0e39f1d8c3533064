"""CPU facts the inference backends tune their threads to."""

import os


def physical_cores() -> int:
    """Physical cores (hyper-threads share one core's vector units, so they do not speed up GEMMs)."""
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1
