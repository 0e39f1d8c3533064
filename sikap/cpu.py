"""CPU facts the inference backends tune their threads and precision to, and the settings that choose per CPU."""

import os

from sikap.errors import SikapError


def physical_cores() -> int:
    """Physical cores (hyper-threads share one core's vector units, so they do not speed up GEMMs)."""
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1


def free_cores(sample_seconds: float = 0.2) -> int:
    """Cores this process may use that other work is not busy on right now: its allowed cores less the
    cores' busy share measured over ``sample_seconds`` (this process idles meanwhile), at least 1. A pool
    sized so keeps workers from fighting another job for a core, which slows both many times over."""
    import psutil

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else physical_cores()
    busy = psutil.cpu_percent(interval=sample_seconds) / 100 * (psutil.cpu_count() or 1)
    return max(1, min(allowed, physical_cores()) - round(busy))


# CPU flags (Linux /proc/cpuinfo names) of native bf16 matrix arithmetic; without them torch emulates bf16, slower than fp32.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# Int8 dot-product instructions (VNNI, AMX-INT8). Without them ONNX Runtime's int8 matrix products take several
# instructions a step: on an AVX2-only EPYC the int8 e5 export ran 37 sentences/s, its torch source in fp32 55.
NATIVE_INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The first processor's feature flags (empty where ``cpuinfo`` is unreadable, e.g. off Linux)."""
    try:
        with open(cpuinfo, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


# The lines of ``lscpu`` a benchmark prints with its numbers: speeds compare only within one machine (and run).
LSCPU_FIELDS = ("CPU(s)", "Model name", "Thread(s) per core", "Core(s) per socket", "Flags")


def lscpu_fields() -> dict[str, str]:
    """``lscpu``'s fields, name → value, in its order; empty where ``lscpu`` is missing or fails."""
    import subprocess

    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {
        name.strip(): value.strip() for name, sep, value in (line.partition(":") for line in out.splitlines()) if sep
    }


def lscpu_summary(fields: tuple[str, ...] = LSCPU_FIELDS) -> str:
    """The ``fields`` of ``lscpu`` as it prints them (``Name: value`` lines, all flags), or ``lscpu: not available``."""
    found = lscpu_fields()
    lines = [f"{name}: {value}" for name, value in found.items() if name in fields]
    return "\n".join(lines) if lines else "lscpu: not available"


SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_line() -> str:
    """``CPU: <model>, <n> CPUs, flags: <the SIMD flags of SIMD_FLAGS it has>``: one line for a table's header."""
    import platform

    fields = lscpu_fields()
    flags = set(fields.get("Flags", "").split()) or cpu_flags()
    simd = " ".join(flag for flag in SIMD_FLAGS if flag in flags) or "none of " + "/".join(SIMD_FLAGS)
    model = fields.get("Model name") or platform.processor() or "unknown"
    return f"CPU: {model}, {os.cpu_count()} CPUs, flags: {simd}"


def has_native_bf16(flags: frozenset[str] | set[str] | None = None) -> bool:
    """Whether the CPU (``flags``, default this one's) multiplies bf16 natively (AVX512-BF16 or AMX-BF16)."""
    return bool(NATIVE_BF16_FLAGS & (cpu_flags() if flags is None else flags))


def has_native_int8(flags: frozenset[str] | set[str] | None = None) -> bool:
    """Whether the CPU (``flags``, default this one's) has int8 dot-product instructions (VNNI or AMX-INT8)."""
    return bool(NATIVE_INT8_FLAGS & (cpu_flags() if flags is None else flags))


def env_choice(name: str, choices: tuple[str, ...], value: str | None = None) -> str:
    """``value`` (default ``$name``; unset or empty: the first of ``choices``), lower-cased and checked against
    ``choices``; a clear error names the variable and the allowed values."""
    value = (os.environ.get(name) if value is None else value) or choices[0]
    setting = value.strip().lower()
    if setting not in choices:
        raise SikapError(f"{name}={setting!r} is not valid; use one of {', '.join(choices)}")
    return setting
