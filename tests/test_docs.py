"""The documentation stays true: its links resolve inside the repository, the README stays a
front page, and every recorded output it quotes is the recorded file itself. Outputs of
commands are checked by running them (byexample, in .ci/run), not here."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
RECORDED = re.compile(r"<!-- recorded: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_repository(page):
    for target in LINK.findall(page.read_text()):
        if target.startswith(("https://", "http://")):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert ROOT in path.parents and path.exists(), f"{page.name} links {target}, which is not in the repository"


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 290  # docs/decisions.md


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_recorded_output_is_the_record(page):
    for path, block in RECORDED.findall(page.read_text()):
        assert (ROOT / path).read_text() == block, f"{page.name} quotes {path}, but the file now differs"
