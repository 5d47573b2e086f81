"""What a fresh clone tells its reader: the licence, the patent and the terms, the model a public
shop lacks, where e-mails go, and an example of every setting."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_read() -> set[str]:
    """Every variable name skinshop/settings.py reads through django-environ."""
    text = (ROOT / "skinshop" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", text))


def _example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_licence_is_the_full_apache_2_text():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    for section in ("1. Definitions.", "3. Grant of Patent License.", "9. Accepting Warranty"):
        assert section in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_the_env_example_names_every_setting_the_settings_read():
    read = _settings_read()
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "DIAGNOSIS_MODEL"} <= read  # the parser
    assert read - _example_names() == set()


def test_the_env_example_sets_nothing_unsafe_when_copied_as_it_is():
    active = [
        line
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # Only the profile is set; secrets and servers stay commented out examples.
    assert active == ["DJANGO_ENV=local"]


def test_the_readme_opens_with_the_missing_model_and_says_where_emails_go():
    readme = (ROOT / "README.md").read_text()
    opening = readme[:800]
    assert "A public shop has no working model until it builds its own" in opening
    assert "E-mails on `make run`" in readme and "var/worker.log" in readme
    assert "`.env.example`" in readme


def test_the_readme_names_the_patent_beside_the_model_and_data_terms():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Licence, patent, model and data terms", 1)[1].split("\n## ", 1)[0]
    assert "Apache License 2.0" in section
    assert "Systems and methods to process images" in section
    assert "MODEL_CARD.md" in section and "academic use only" in section
