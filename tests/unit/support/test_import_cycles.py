"""No intake module imports another in a circle as they load (issue 15, items 7 and 10).

The check reads the source with `ast` (tools/import_cycles.py); these tests run it on the real
tree, and on a small package written here to show it finds a cycle when there is one.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parents[3] / "tools" / "import_cycles.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_intake_has_no_import_cycle() -> None:
    result = subprocess.run([sys.executable, str(TOOL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("no import cycle among ")


def test_the_check_finds_a_cycle_and_ignores_what_does_not_run_as_modules_load(tmp_path: Path) -> None:
    tool = load_tool()
    package = tmp_path / "intake"
    (package / "screens").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "screens" / "__init__.py").write_text("")
    (package / "app.py").write_text("from intake.screens import home\n")
    (package / "screens" / "home.py").write_text("from .verify import VerifyScreen\n")
    (package / "screens" / "verify.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from intake.app import App\n"  # never runs
        "def later():\n    from intake import app\n"  # runs when called: deferred
        "try:\n    from ..app import App\nexcept ImportError:\n    pass\n")  # runs as it loads
    found = tool.all_imports(tmp_path)
    loading = [(i.importer, i.imported) for i in found if not i.deferred]
    assert tool.cycles(loading) == [["intake.app", "intake.screens.home", "intake.screens.verify", "intake.app"]]
    deferred = [(i.importer, i.imported, i.line) for i in tool.deferred_closing_cycles(found)]
    assert deferred == [("intake.screens.verify", "intake.app", 5)]
