"""Sections of a person's profile page (the performance archive), registered by features."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileSection:
    name: str
    title: object
    template: str
    context: Callable  # (viewer, person) -> dict, or None to hide the section
    order: int = 100


SECTIONS: list[ProfileSection] = []


def register_profile_section(section: ProfileSection) -> None:
    if not any(s.name == section.name for s in SECTIONS):
        SECTIONS.append(section)
        SECTIONS.sort(key=lambda s: s.order)


def profile_sections(viewer, person) -> list[tuple[ProfileSection, dict]]:
    out = []
    for section in SECTIONS:
        ctx = section.context(viewer, person)
        if ctx is not None:
            out.append((section, ctx))
    return out
