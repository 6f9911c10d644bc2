"""The architecture as written down: the layers diagram in ``docs/architecture.md`` is the
import-linter contract that CI checks, every app of the project is in it, and no module of an
application is longer than 500 lines (migrations aside)."""

import re
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return layers


def _diagram_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers.*?```text\n(.*?)```", text, re.S).group(1)
    return [re.split(r"\s{2,}", line.strip())[0] for line in block.splitlines() if line.strip()]


def test_the_diagram_is_the_contract():
    assert _diagram_layers() == _contract_layers()


def test_every_app_of_the_project_is_in_a_layer():
    apps = {app for layer in _contract_layers() for app in layer.split(" | ")}
    ours = {name for name in settings.INSTALLED_APPS if (ROOT / name / "apps.py").exists()}
    assert ours == apps


def test_no_application_module_is_over_500_lines():
    apps = {app for layer in _contract_layers() for app in layer.split(" | ")} | {"config"}
    long = {
        str(p.relative_to(ROOT)): n
        for app in apps
        for p in (ROOT / app).rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}
