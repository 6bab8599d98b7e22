"""Budgets per archive against decompression bombs: bytes, members, ratio, depth."""

from __future__ import annotations

from dataclasses import dataclass

_RATIO_FLOOR = 1 << 20  # a member smaller than this is never a bomb, whatever its ratio


@dataclass(frozen=True, slots=True)
class Limits:
    """Budgets per archive named in the tree (its nested archives included)."""

    max_depth: int = 4
    max_bytes: int = 1 << 30  # uncompressed bytes read
    max_members: int = 100_000
    max_ratio: int = 100  # uncompressed / compressed, for members over a MiB
    max_nested: int = 256 << 20  # an archive inside an archive is read into memory up to this


class BudgetExceeded(Exception):
    """An archive hit a budget: the scan reports it and goes on with the next file."""


@dataclass(slots=True)
class Budget:
    """What one archive named in the tree has cost so far."""

    limits: Limits
    bytes: int = 0
    members: int = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise BudgetExceeded(f"more than {self.limits.max_members} members")

    def spend(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise BudgetExceeded(f"more than {self.limits.max_bytes} bytes uncompressed")

    def ratio(self, uncompressed: int, compressed: int) -> None:
        if uncompressed > _RATIO_FLOOR and uncompressed > compressed * self.limits.max_ratio:
            raise BudgetExceeded(f"compression ratio over {self.limits.max_ratio}:1")
