"""PlusCal's labels inside the branches of ``if`` and ``either``.

PlusCal lets a step's ``if``/``either`` hold labelled steps in its branches::

    TS:
        either:
            await can_commit()
            TC:
                tm_state = TMState.commit
            F1:
                ...
        or:
            await can_abort()
            TA:
                ...
    next_label:

Step ``TS`` evaluates the tests and runs the statements of the branch up to
its first label, then goes to that label (``TC``); the labelled steps of a
branch follow each other, and the last one goes where the ``if``/``either``
goes (the step after ``TS``).  A branch without a label is part of ``TS``
and goes there too.  As in PlusCal, nothing may follow such an
``if``/``either`` in its step (the next statement needs a label), and a
branch's statements after its first label belong to labelled steps.

This stage rewrites the parse tree before the checker reads it, into what a
user would write by hand: the branch ends with ``goto TC`` and the labelled
steps move to the level of the process body, right after their step, so
labels, reachability, traces and the TLA+ export need nothing new.  Where
each moved step goes when its branch ends is recorded on the tree nodes
(``Group``) and read by :meth:`ProcessChecks._build_controls`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lark

from .scope import _label_token


@dataclass
class Group:
    """What :meth:`ProcessChecks._build_controls` needs of a step that took
    part in the rewrite: ``head``, the step whose branch held it (None for
    a step of the body itself); ``ends_branch``, whether it is the last step
    of its branch (it goes where ``head`` goes); ``size``, how many steps
    moved out of its own branches (they follow it, with theirs)."""

    head: lark.Tree | None = None
    ends_branch: bool = False
    size: int = 0


def group_of(step: lark.Tree) -> Group | None:
    return getattr(step, "_branch_group", None)


def hoist_branch_labels(decl: lark.Tree, err: Callable[[str, object], None]) -> None:
    """Rewrite a process or procedure declaration in place (idempotent)."""
    decl.children = _items(decl.children, err)


def _items(children: list, err) -> list:
    out: list = []
    for c in children:
        if isinstance(c, lark.Tree) and c.data == "step":
            out.extend(_hoist(c, None, err))
            continue
        if isinstance(c, lark.Tree) and c.data in ("while_loop", "labelled_while"):
            c.children = _items(c.children, err)
        out.append(c)
    return out


def _hoist(step: lark.Tree, head: lark.Tree | None, err) -> list[lark.Tree]:
    """``step`` and the steps moved out of its branches, in order."""
    group = group_of(step)
    if group is None:
        group = step._branch_group = Group(head)
    moved: list[lark.Tree] = []
    _sequence(step.children[-1], step, moved, False, err)
    group.size += len(moved)
    return [step] + moved


def _is_step(st) -> bool:
    """A labelled step (not a keyword the parser took for a label: a stray
    ``else:`` is the statement checker's to report)."""
    from .parser import _SOFT_KEYWORDS, keywords

    if not (isinstance(st, lark.Tree) and st.data == "step"):
        return False
    label = str(_label_token(st))
    return label not in keywords() or label in _SOFT_KEYWORDS


def _has_labels(st) -> bool:
    if not isinstance(st, lark.Tree):
        return False
    if st.data == "step":
        return _is_step(st)
    if st.data in ("if_stmt", "either_stmt"):
        return any(_has_labels(s) for b in _branches(st) for s in b.children)
    return False


def _branches(st: lark.Tree) -> list[lark.Tree]:
    """The blocks of an ``if``/``either``."""
    if st.data == "if_stmt":
        out = [st.children[1]]
        for c in st.children[2:]:
            if c is None:
                continue
            out.append(c.children[1] if c.data == "elif_clause" else c.children[0])
        return out
    return [st.children[0]] + [c.children[0] for c in st.children[1:]]


def _sequence(block: lark.Tree, head: lark.Tree, moved: list, in_branch: bool, err) -> None:
    """Rewrite the statements of ``block`` (a step's body, or a branch when
    ``in_branch``), moving labelled steps into ``moved``."""
    stmts = block.children
    first = next((i for i, s in enumerate(stmts) if _has_labels(s)), None)
    if first is None:
        return
    st = stmts[first]
    if st.data == "step":
        if not in_branch:
            return  # a label directly in a step's body: the statement checker reports it
        steps = stmts[first:]
        stray = next((s for s in steps if not _is_step(s)), None)
        if stray is not None:
            err("a statement after a labelled step of a branch belongs to a step: label it, or move it into "
                "the step above", stray)
            return
        label = _label_token(st)
        goto = lark.Tree("goto_stmt", [lark.Token("NAME", str(label), start_pos=label.start_pos, line=label.line,
                                                  column=label.column, end_line=label.end_line,
                                                  end_column=label.end_column, end_pos=label.end_pos)],
                         meta=st.meta)
        block.children = stmts[:first] + [goto]
        for s in steps:
            moved.extend(_hoist(s, head, err))
        group_of(steps[-1]).ends_branch = True
        return
    after = stmts[first + 1:]
    if after:
        word = "an 'if'" if st.data == "if_stmt" else "an 'either'"
        err(f"a statement after {word} with labelled steps in its branches needs a label of its own "
            f"(PlusCal's rule): start a step here", after[0])
        return
    for b in _branches(st):
        _sequence(b, head, moved, True, err)
