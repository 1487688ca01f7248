"""The package's shape: modules import only downwards, and a fused run needs no PyG.

The layering, bottom up (the README's Layout section draws the same list); a
module may import its own layer or those below it, never one above.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gnnprop"

LAYERS = [
    ["gnnprop", "gnnprop.errors", "gnnprop._signals", "gnnprop._stdio", "gnnprop._tmp", "gnnprop.resolver",
     "gnnprop.aggregation", "gnnprop.config.names", "gnnprop.config.flags", "gnnprop.plotnames",
     "gnnprop.engine.memory"],
    ["gnnprop.output", "gnnprop.expr", "gnnprop.device", "gnnprop.weights", "gnnprop.graph", "gnnprop.guards"],
    ["gnnprop.config"],
    ["gnnprop.engine.csr"],
    ["gnnprop.io"],
    ["gnnprop.layers"],
    ["gnnprop.configure"],
    ["gnnprop.engine"],
    ["gnnprop.tracing"],
    ["gnnprop.api", "gnnprop.bench", "gnnprop.plot", "gnnprop.explore"],
    ["gnnprop.cli", "gnnprop._entry", "gnnprop.__main__"],
]


def level(module: str) -> int:
    """The layer of ``module``: that of the longest listed name it equals or lies under."""
    best, found = -1, None
    for k, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, found = len(name), k
    assert found is not None, f"{module} is in no layer; add it to LAYERS (and the README)"
    return found


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: pathlib.Path) -> set[str]:
    """Every gnnprop module ``path`` imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:  # "from . import fixed" imports the module gnnprop.layers.fixed
                sub = f"{mod}.{alias.name}"
                is_module = (ROOT / (sub.replace(".", "/") + ".py")).exists() or (ROOT / sub.replace(".", "/")).is_dir()
                found.add(sub if is_module else mod)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m == "gnnprop" or m.startswith("gnnprop.")} - {name}


def test_no_module_imports_one_above_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        for dep in sorted(imports(path)):
            if level(dep) > level(name):
                wrong.append(f"{name} (layer {level(name)}) imports {dep} (layer {level(dep)})")
    assert not wrong, "\n".join(wrong)


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("layer", ["fixed", "nn", "residual"])
def test_a_fused_run_of_gnnprops_own_layers_imports_no_pyg(layer):
    got = _fresh(
        "import sys, gnnprop\n"
        f"r = gnnprop.propagate('sample_graphs/seed_example.json', layer={layer!r}, rounds=3, seed=1)\n"
        "print(r.meta['engine'], sorted({m.split('.')[0] for m in sys.modules if m.startswith('torch_geometric')}))")
    assert got == "fused []"


def test_the_layer_kind_modules_import_no_pyg():
    got = _fresh("import sys\nimport gnnprop.layers.fixed, gnnprop.layers.nn, gnnprop.layers.residual\n"
                 "print(any(m.startswith('torch_geometric') for m in sys.modules))")
    assert got == "False"


def test_help_and_version_import_neither_torch_nor_pyg():
    code = ("import sys\nsys.argv = ['gnnprop', {args}]\nfrom gnnprop._entry import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('\\nHEAVY', sorted({{m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('torch', 'torch_geometric')}}))")
    for args in ("'--help'", "'run', '--help'", "'inspect', '--help'", "'bench', '--help'", "'--version'"):
        last = _fresh(code.format(args=args)).splitlines()[-1]
        assert last == "HEAVY []", (args, last)


#: Most lines of a module of the package, and of a test file: past these, a file holds more than one
#: concept and is split along its seams.
MODULE_LINES, TEST_LINES = 500, 600


def test_no_module_or_test_file_outgrows_one_concept():
    tests = ROOT / "tests"
    big = [f"{p.relative_to(ROOT)}: {n} lines (at most {most})"
           for paths, most in ((PACKAGE.rglob("*.py"), MODULE_LINES), (tests.rglob("*.py"), TEST_LINES))
           for p in sorted(paths) if (n := len(p.read_text().splitlines())) > most]
    assert not big, "\n".join(big)
