"""The gpu-load tier's probes: small programs, chosen by what the lock holds, that load the
stack onto the device. Each runs alone in a fresh process of the verified environment,
with ``DEVICE`` ("cuda", or "cpu" for the smoke run) and ``QUANTIZE`` (only on CUDA)
set; a probe may set ``RESULT`` to a line worth reporting. Nothing is downloaded: the
model is built from a config, saved to a temporary folder and loaded back."""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symres.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Probe:
    name: str
    code: str
    needs: tuple[str, ...] = ()  # distributions the lock must hold
    tier: str = "gpu"  # "gpu" or "import"
    timeout: float | None = None

    def plan(self, label: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "code": self.code, "dist": label}
        if self.timeout is not None:
            out["timeout"] = self.timeout
        return out


DEVICE_CHECK = Probe(
    "cuda-device",
    """
import torch
if not torch.cuda.is_available():
    raise RuntimeError("no CUDA device visible to torch " + torch.__version__)
RESULT = torch.cuda.get_device_name(0)
""",
    needs=("torch",),
)

TORCH = Probe(
    "torch-bf16-matmul",
    """
import torch
a = torch.randn(256, 256, device=DEVICE, dtype=torch.bfloat16)
b = torch.randn(256, 256, device=DEVICE, dtype=torch.bfloat16)
c = a @ b
if DEVICE == "cuda":
    torch.cuda.synchronize()
assert c.shape == (256, 256) and bool(torch.isfinite(c.float()).all()), "non-finite product"
where = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu"
RESULT = f"bf16 matmul on {where}; torch {torch.__version__}, CUDA {torch.version.cuda}"
""",
    needs=("torch",),
)

BITSANDBYTES = Probe(
    "bitsandbytes-4bit-linear",
    """
import torch
import bitsandbytes as bnb
layer = bnb.nn.Linear4bit(64, 64, bias=True, compute_dtype=torch.bfloat16, quant_type="nf4")
if QUANTIZE:
    layer = layer.to(DEVICE)  # quantizes the weight
    assert getattr(layer.weight, "quant_state", None) is not None, "the weight was not quantized"
    y = layer(torch.randn(4, 64, device=DEVICE, dtype=torch.bfloat16))
    torch.cuda.synchronize()
    RESULT = f"4-bit nf4 linear forward on {DEVICE}; bitsandbytes {bnb.__version__}"
else:
    weight = layer.weight.data.float()
    y = torch.nn.functional.linear(torch.randn(4, 64), weight, layer.bias.float())
    RESULT = f"cpu smoke: Linear4bit built, not quantized; bitsandbytes {bnb.__version__}"
assert y.shape == (4, 64)
""",
    needs=("torch", "bitsandbytes"),
)

TRANSFORMERS = Probe(
    "transformers-tiny-model",
    """
import tempfile
import torch
import transformers
try:
    from transformers import LlamaConfig as Config, LlamaForCausalLM as Model
    config = Config(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64)
except ImportError:
    from transformers import GPT2Config as Config, GPT2LMHeadModel as Model
    config = Config(vocab_size=128, n_positions=64, n_embd=64, n_layer=2, n_head=4)
torch.manual_seed(0)
model = Model(config)
with tempfile.TemporaryDirectory() as folder:
    model.save_pretrained(folder)
    kwargs = {}
    if QUANTIZE and HAS_BITSANDBYTES:
        from transformers import BitsAndBytesConfig
        kwargs = dict(
            quantization_config=BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16
            ),
            device_map={"": 0},
        )
    loaded = Model.from_pretrained(folder, **kwargs)
    if not kwargs:
        loaded = loaded.to(DEVICE)
    ids = torch.tensor([[1, 2, 3, 4]], device=DEVICE)
    out = loaded.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=0)
assert out.shape[1] == 8, f"generated {out.shape[1] - 4} tokens, not 4"
how = "4-bit" if kwargs else ("unquantized on " + DEVICE)
RESULT = f"{Model.__name__} saved, loaded back {how}, 4 tokens generated"
RESULT += f"; transformers {transformers.__version__}"
""",
    needs=("torch", "transformers"),
)

BUILT_IN = (TORCH, BITSANDBYTES, TRANSFORMERS)


def select(locked: Collection[str]) -> list[Probe]:
    """The built-in probes whose distributions the lock holds."""
    chosen = []
    for probe in BUILT_IN:
        if all(n in locked for n in probe.needs):
            code = probe.code
            if probe is TRANSFORMERS:
                code = f"HAS_BITSANDBYTES = {'bitsandbytes' in locked}\n" + code
            chosen.append(Probe(probe.name, code, probe.needs, probe.tier, probe.timeout))
    return chosen


@dataclass(frozen=True)
class VerifySettings:
    """``[tool.symres.verify]`` of pyproject.toml."""

    probes: tuple[Probe, ...] = ()
    skip_modules: tuple[str, ...] = ()
    timeout: float | None = None
    source: Path | None = None


def read_settings(path: Path) -> VerifySettings:
    if not path.is_file():
        return VerifySettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from None
    table = data.get("tool", {}).get("symres", {}).get("verify", {})
    where = f"{path}: [tool.symres.verify]"
    if not isinstance(table, dict):
        raise InputError(f"{where} is not a table")
    probes = []
    for i, item in enumerate(table.get("probes", []), start=1):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise InputError(
                f"{where} probes[{i}] needs `code` (a string)",
                hint='write `probes = [{ name = "mine", code = "import mypkg" }]`',
            )
        tier = str(item.get("tier", "gpu"))
        if tier not in ("gpu", "import"):
            raise InputError(f'{where} probes[{i}]: tier must be "gpu" or "import", not {tier!r}')
        timeout = item.get("timeout")
        probes.append(
            Probe(
                str(item.get("name", f"probe-{i}")),
                item["code"],
                tier=tier,
                timeout=float(timeout) if timeout is not None else None,
            )
        )
    skip = table.get("skip-modules", [])
    timeout = table.get("timeout")
    if not isinstance(skip, list) or (timeout is not None and not isinstance(timeout, int | float)):
        raise InputError(f"{where}: `skip-modules` is a list of names, `timeout` a number")
    return VerifySettings(
        tuple(probes),
        tuple(str(s) for s in skip),
        float(timeout) if timeout is not None else None,
        path,
    )
