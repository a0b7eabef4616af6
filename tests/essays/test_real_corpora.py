"""Every post of the real blog archives in ../shared/corpora goes through the whole analysis.

The archives are benchmark data outside the project: without them these tests skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.essays.analysis import analyse
from bot.essays.sources import read_path
from bot.intake import IntakeError, entry_to_essay

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
ARCHIVES = ["marcusoft-posts", "socialmemorycomplex-posts"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_every_real_post_is_analysed_without_a_failure(archive: str) -> None:
    folder = CORPORA / archive
    if not folder.is_dir():
        pytest.skip(f"{folder} is not here (benchmark data beside the project)")
    found = read_path(folder)
    assert len(found.entries) > 1000
    failed: list[str] = []
    analysed = 0
    for path, entry in found.entries:
        try:
            essay = entry_to_essay(entry)
        except IntakeError:
            continue  # an image- or video-only post has no text to analyse
        analysis = analyse(essay)
        analysed += 1
        if analysis.failures:
            failed.append(f"{path.name}: {analysis.failures}")
        assert analysis.sections
    assert failed == []
    assert analysed > 1000
