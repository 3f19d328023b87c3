"""The synthetic revenue-cycle generator behind ``rcm generate`` (docs/demo_data.md).

``generate(out_dir, claims, seed, start, months)`` writes 837P/837I claims, 835 remittances, CSV
extracts, deliberately bad files and the ground truth that the warehouse's marts must reproduce.
"""

from __future__ import annotations

from orchestration.demo.generator import generate

__all__ = ["generate"]
