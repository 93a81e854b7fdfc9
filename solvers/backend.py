"""Array backends of the simulations: numpy (default) or torch (CPU or GPU), one API.

An algorithm is written once against :class:`Backend`: it asks the backend for Gaussian
input blocks, does its linear algebra with the backend's array module ``xp`` (numpy and
torch share the names used here: ``sqrt``, ``abs``, ``where``, indexing, ``@``, ``.sum``),
and hands small per-sample vectors (local fields, labels) to the user's numpy callables
through :meth:`Backend.apply`. Randomness: one independent stream per replica, spawned by
``numpy.random.SeedSequence(seed).spawn(replicas)`` (DESIGN.md); numpy uses PCG64 on each
child, torch seeds one ``torch.Generator`` per child from the child's entropy. The two
backends draw different numbers from the same seed, so they agree within statistical error,
not bit for bit.

>>> b = get_backend("numpy")
>>> streams = b.streams(seed=0, replicas=2)
>>> block = b.normal(streams, (3, 4))
>>> tuple(block.shape)
(2, 3, 4)
>>> b.to_numpy(block).dtype
dtype('float64')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKENDS = ("numpy", "torch")


@dataclass(frozen=True)
class Backend:
    """An array module plus the random streams and conversions the algorithms need."""

    name: str
    xp: object
    device: str = "cpu"

    # ------------------------------------------------------------------ random streams
    def streams(self, seed: int, replicas: int) -> list:
        """One independent generator per replica, children of ``SeedSequence(seed)``."""
        children = np.random.SeedSequence(seed).spawn(replicas)
        if self.name == "numpy":
            return [np.random.Generator(np.random.PCG64(child)) for child in children]
        torch = self.xp
        out = []
        for child in children:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(int(child.generate_state(1, dtype=np.uint64)[0] >> 1))
            out.append(generator)
        return out

    def normal(self, streams: list, shape: tuple[int, ...]):
        """Standard Gaussians of shape ``(len(streams), *shape)``, replica r from stream r.

        Drawn in place into one array, so a block of inputs costs one allocation.
        """
        if self.name == "numpy":
            out = np.empty((len(streams), *shape))
            for r, generator in enumerate(streams):
                generator.standard_normal(out=out[r])
            return out
        torch = self.xp
        out = torch.empty((len(streams), *shape), dtype=torch.float64, device=self.device)
        for r, generator in enumerate(streams):
            torch.randn(shape, generator=generator, dtype=torch.float64, device=self.device,
                        out=out[r])
        return out

    # ------------------------------------------------------------------ conversions
    def asarray(self, values):
        if self.name == "numpy":
            return np.asarray(values, dtype=np.float64)
        return self.xp.as_tensor(np.asarray(values, dtype=np.float64), device=self.device)

    def to_numpy(self, array) -> np.ndarray:
        if self.name == "numpy":
            return np.asarray(array)
        return array.detach().cpu().numpy()

    def apply(self, function, *arrays):
        """``function`` (a numpy callable) applied to backend arrays, result on the backend."""
        if self.name == "numpy":
            return np.asarray(function(*arrays), dtype=np.float64)
        values = np.asarray(function(*(self.to_numpy(a) for a in arrays)), dtype=np.float64)
        if values.ndim == 0:
            values = np.broadcast_to(values, tuple(arrays[0].shape))
        return self.xp.as_tensor(np.ascontiguousarray(values), device=self.device)

    def norm_rows(self, array):
        """Euclidean norm along the last axis."""
        return self.xp.sqrt((array * array).sum(-1))

    def versions(self) -> dict:
        info = {"numpy": np.__version__}
        if self.name == "torch":
            info["torch"] = self.xp.__version__
        return info


def get_backend(name: str = "numpy", device: str | None = None) -> Backend:
    """The backend called ``name`` ("numpy" or "torch"; torch takes ``device``, default cpu).

    >>> get_backend("numpy").name
    'numpy'
    """
    if name == "numpy":
        if device not in (None, "cpu"):
            raise ValueError("the numpy backend runs on the CPU only")
        return Backend("numpy", np, "cpu")
    if name == "torch":
        try:
            import torch
        except ImportError as exc:  # torch is an optional extra
            raise ValueError("the torch backend needs torch: pip install 'derive[torch]'") \
                from exc
        device = device or "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"torch device {device} is not available")
        return Backend("torch", torch, device)
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
