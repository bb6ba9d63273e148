"""The gpu-load tier: probes for what the lock holds (torch, bitsandbytes,
transformers, and the project's own), on a CUDA device or as a CPU smoke test."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any, Literal

from symres.lock.lockfile import LockFile
from symres.verify.child import Event, run_checks
from symres.verify.env import Environment
from symres.verify.probes import DEVICE_CHECK, VerifySettings, select


@dataclass
class GpuTier:
    status: Literal["passed", "failed", "skipped"]
    reason: str
    device: str  # "cuda", "cpu" (smoke) or "" when skipped
    results: list[dict[str, Any]] = field(default_factory=list)


def gpu_tier(
    env: Environment,
    lock: LockFile,
    device: Literal["auto", "cpu"],
    timeout: float,
    settings: VerifySettings,
    on_event: Event,
) -> GpuTier:
    """*device*: "cpu" runs the probes as a smoke test; "auto" looks for a CUDA device
    and skips the tier without one."""
    locked: set[str] = set(lock.entries)
    probes = [*select(locked), *(p for p in settings.probes if p.tier == "gpu")]
    if not probes:
        return GpuTier(
            "skipped",
            "nothing to probe: the lock holds none of torch, bitsandbytes, transformers, "
            "and [tool.symres.verify] has no gpu probes",
            "",
        )
    if device == "auto":
        on_event("looking for a CUDA device")
        found = _cuda_device(env, locked, on_event)
        if found is not None:
            return GpuTier("skipped", f"no CUDA device ({found})", "")
    used = "cpu" if device == "cpu" else "cuda"
    on_event(f"running {len(probes)} probes on {used}")

    def probe_label(probe: Any) -> str:
        named = [n for n in probe.needs if n in lock.entries]
        return f"{named[-1]} {lock.entries[named[-1]].version}" if named else probe.name

    plan: dict[str, Any] = {
        "probes": [p.plan(probe_label(p)) for p in probes],
        "device": used,
        "timeout": timeout,
    }
    results = run_checks(env, plan, on_event, device=used)["results"]
    failed = [r for r in results if r["status"] == "failed"]
    label = "on CUDA" if used == "cuda" else "cpu smoke test, unquantized"
    status: Literal["passed", "failed"] = "failed" if failed else "passed"
    return GpuTier(
        status, f"{len(results) - len(failed)}/{len(results)} probes {label}", used, results
    )


def _cuda_device(env: Environment, locked: set[str], on_event: Event) -> str | None:
    """None when a CUDA device is visible; else why not."""
    if "torch" in locked:
        plan = {"probes": [DEVICE_CHECK.plan("torch")], "timeout": 120}
        result = run_checks(env, plan, on_event, device="cuda")["results"][0]
        if result["status"] == "passed":
            return None
        said = "; ".join(result.get("warnings", [])) or result["detail"]
        return f"torch: {said}"
    try:
        done = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "nvidia-smi is not available"
    if done.returncode == 0 and "GPU" in done.stdout:
        return None
    return "nvidia-smi lists no GPU"
