"""The message copy Waypost ships with, as data: one TOML file per notification type and channel
(``catalogue/copy/<type>/<channel>.toml``), a table per language (en, es, fr, de) holding the
template fields that channel uses (subject, preheader, body_text, body_html, link) as Django
template source. Copywriters and translators edit these files; ``install_catalogue`` (a command, a
data migration and every ``migrate``) copies what is missing into ``Template`` rows, which
merchants then edit in the studio. Each type may use only the variables its snapshot carries
(``catalogue.shipped.context_parts``), money and dates only through their ``*_display`` values,
and optional values only inside ``{% if %}``."""

import tomllib
from functools import cache
from pathlib import Path

COPY_DIR = Path(__file__).with_name("copy")
FIELDS = ("subject", "preheader", "body_text", "body_html", "link")
LANGUAGES = ("en", "es", "fr", "de")


@cache
def load_copy(directory: Path = COPY_DIR) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """``{type_key: {channel: {language: {field: source}}}}`` from every copy file under
    ``directory``; a field other than the template fields is an error."""
    copy: dict = {}
    for path in sorted(directory.glob("*/*.toml")):
        with path.open("rb") as handle:
            tables = tomllib.load(handle)
        for language, fields in tables.items():
            unknown = set(fields) - set(FIELDS)
            if unknown:
                raise ValueError(f"{path}: [{language}] has fields no template has: {', '.join(sorted(unknown))}")
        copy.setdefault(path.parent.name, {})[path.stem] = {
            language: {field: str(source) for field, source in fields.items()} for language, fields in tables.items()
        }
    return copy
