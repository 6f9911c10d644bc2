"""The message copy Waypost ships with, as data: one TOML file per notification type and channel
(``catalogue/copy/<type>/<channel>.toml``), a table per language (en, es, fr, de) holding the
template fields (subject, preheader, body_text, body_html, link) as Django template source.
Copywriters and translators edit these files; ``install_catalogue`` (a command, a data migration
and every ``migrate``) copies what is missing into ``Template`` rows, which merchants then edit
in the studio. Each type may use only the variables its snapshot carries
(``catalogue.shipped.context_parts``), money and dates only through their ``*_display`` values,
and optional values only inside ``{% if %}``."""
import tomllib
from functools import cache
from pathlib import Path

COPY_DIR = Path(__file__).resolve().parent / "copy"
FIELDS = ("subject", "preheader", "body_text", "body_html", "link")
LANGUAGES = ("en", "es", "fr", "de")


@cache
def load_copy() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """``{type_key: {channel: {language: {field: source}}}}`` from every copy file."""
    copy: dict = {}
    for path in sorted(COPY_DIR.glob("*/*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        unknown = {f for fields in data.values() for f in fields} - set(FIELDS)
        if unknown:
            raise ValueError(f"{path}: unknown template fields {sorted(unknown)}")
        copy.setdefault(path.parent.name, {})[path.stem] = data
    return copy
