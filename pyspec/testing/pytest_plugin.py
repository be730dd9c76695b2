"""The pytest plugin (entry point ``pytest11``): specs as tests.

``pytest spec/`` collects every ``*.pyspec`` file: each model is a
collector and each of its declared checks (and deadlock, unless the model
ignores it) a test item, ``spec/x.pyspec::model::Property`` (a model that checks
nothing has one item, ``explore``, that passes when the whole state space
is explored without an error).  An item
passes when the embedded engine's outcome is the declared one (a violation
expected and found passes) and fails with the counterexample in spec terms
otherwise; a spec that does not load is one failing item with its located
diagnostics.  ``-k``, ``-x``, ``--lf`` and ``-v`` work as for any test.

When every check of a model is selected, the model is explored once (as
``pyspec check`` does); when ``-k`` (or ``--lf``) picks some of them, each
selected check runs alone, stopping at its first violation as TLC does.

Options: ``--pyspec-workers N`` (worker processes per model); the ini
option ``pyspec_collect = false`` turns collection of ``*.pyspec`` files
off (a project whose test tree holds spec fixtures that are not meant to
pass).  The ``pyspec_model`` fixture loads and compiles a model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import load_model


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyspec", "pyspec specs as tests")
    group.addoption("--pyspec-workers", type=int, default=1, metavar="N",
                    help="worker processes per model when checking *.pyspec files (default 1)")
    parser.addini("pyspec_collect", "collect *.pyspec files as tests (default true)", type="bool", default=True)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".pyspec" and parent.config.getini("pyspec_collect"):
        return SpecFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture
def pyspec_model():
    """``pyspec_model(path, model)``: the compiled model (cached per file
    version), for trace validation and spec-driven testing."""
    return load_model


#: the item of a model that declares no check and ignores deadlock
EXPLORE = "explore"


class SpecLoadError(Exception):
    """The spec file does not load (its diagnostics are the message)."""


class OutcomeError(Exception):
    """A check's outcome is not the declared one."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class SpecFile(pytest.File):
    """One ``*.pyspec`` file: a collector per model."""

    def collect(self):
        from ..language import load_with_diagnostics

        spec, diags = load_with_diagnostics(str(self.path))
        if spec is None:
            yield SpecLoadItem.from_parent(self, name="load", text=diags.render())
            return
        for model in spec.models:
            yield ModelCollector.from_parent(self, name=model.name, spec=spec, model=model)


class SpecLoadItem(pytest.Item):
    def __init__(self, *, text: str, **kw):
        super().__init__(**kw)
        self.text = text

    def runtest(self) -> None:
        raise SpecLoadError(self.text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SpecLoadError):
            return f"{self.path.name} does not load:\n{self.text}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name} (load)"


class ModelCollector(pytest.Collector):
    """One model: an item per declared check, the reports shared."""

    def __init__(self, *, spec, model, **kw):
        super().__init__(**kw)
        self.spec = spec
        self.model = model
        self._reports: dict[str, object] | None = None

    def check_names(self) -> list[tuple[str, int]]:
        names = [(c.property, c.span.line) for c in self.model.checks]
        if self.model.deadlock != "ignore" and not any(n == "deadlock" for n, _ in names):
            names.append(("deadlock", self.model.span.line))
        if not names:  # a model that only explores (a state count): it must finish without an error
            names.append((EXPLORE, self.model.span.line))
        return names

    def collect(self):
        for name, line in self.check_names():
            yield CheckItem.from_parent(self, name=name, line=line)

    def report_for(self, item: CheckItem):
        """The report of ``item``'s check: from one exploration of the whole
        model when every check is selected, else from a run of that check."""
        from ..engines.embedded import check, check_model

        workers = self.config.getoption("pyspec_workers")
        if self._reports is None:
            selected = [i for i in self.session.items if i.parent is self]
            if len(selected) == len(self.check_names()) or item.name == EXPLORE:
                reports = check_model(self.spec, self.model.name, workers=workers)
                self._reports = {r.property or EXPLORE: r for r in reports}
            else:
                self._reports = {}
        if item.name not in self._reports:
            self._reports[item.name] = check(self.spec, self.model.name, property=item.name, workers=workers)
        return self._reports[item.name]


class CheckItem(pytest.Item):
    """One declared check of a model; passes when its outcome is the declared one."""

    def __init__(self, *, line: int, **kw):
        super().__init__(**kw)
        self.line = line

    def runtest(self) -> None:
        from ..report.text import meets_expectation, render_report

        report = self.parent.report_for(self)
        self.user_properties.append(("distinct_states", report.distinct_states))
        if not meets_expectation(report):
            expected = report.expected or "holds"
            got = {"ok": "holds"}.get(report.verdict, report.verdict)
            raise OutcomeError(f"{self.parent.model.name}: {self.name}: expected {expected}, got {got}\n\n"
                               + render_report(report, self.parent.spec))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, OutcomeError):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.parent.model.name}::{self.name}"
