"""The shipped copy kept as data files: ``catalogue/copy/<type_key>/<channel>.toml``, one TOML
table per language (en, es, fr, de) holding the template fields that channel uses (subject,
preheader, body_text, body_html, link) as Django template source.

``load_copy()`` reads them all into ``{type_key: {channel: {language: {field: source}}}}``, the
shape ``ensure_catalogue()`` installs as ``Template`` rows."""
import tomllib
from pathlib import Path

COPY_DIR = Path(__file__).with_name("copy")
FIELDS = ("subject", "preheader", "body_text", "body_html", "link")


def load_copy(directory: Path = COPY_DIR) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """Every copy file under ``directory``; a field other than the template fields is an error."""
    copy: dict = {}
    for path in sorted(directory.glob("*/*.toml")):
        with path.open("rb") as handle:
            tables = tomllib.load(handle)
        for language, fields in tables.items():
            unknown = set(fields) - set(FIELDS)
            if unknown:
                raise ValueError(f"{path}: [{language}] has fields no template has: {', '.join(sorted(unknown))}")
        copy.setdefault(path.parent.name, {})[path.stem] = {
            language: {field: str(source) for field, source in fields.items()} for language, fields in tables.items()}
    return copy
