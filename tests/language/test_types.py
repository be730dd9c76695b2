"""One test per type rule of the checker (pyspec/language/checker.py and
types.py): the IR node and type an expression checks to, or the exact error
it is refused with.

Most rules are probed through ``def probe(): EXPR`` appended to a small spec
that declares one variable of each type; statement and scope rules use their
own small specs.
"""

from __future__ import annotations

import pytest

from pyspec import load_with_diagnostics
from pyspec.ir import nodes as ir
from pyspec.ir import temporal
from pyspec.ir.temporal import SUPPORTED
from pyspec.language import types as T

PRELUDE = """\
spec Types
sort Node
enum Color: red, green
type Pair = tuple[int, int]
const NODES: set[Node] = {Node.n1, Node.n2}
const N: int = 3
var x: int = 0
var b: bool = False
var s: set[int] = {1}
var m: map[int, bool] = {i: False for i in 0..2}
var q: seq[int] = []
var r: record(a: int, b: bool) = record(a=1, b=True)
var t: tuple[int, bool] = (1, True)
var o: optional[int] = none
var c: Color = Color.red
var n: Node = Node.n1
var ss: set[set[int]] = {{1}}
var pair: Pair = (1, 2)
def double(k: int) -> int: k * 2
def positive(k: int): k > 0
fair process worker(self in NODES):
    var count: int = 0
    step:
        count = count + 1
process single:
    var flag: bool = False
    only:
        flag = not flag
"""
PROBE_LINE = PRELUDE.count("\n") + 1
PROBE_COL = len("def probe(): ") + 1


def load(text: str):
    return load_with_diagnostics("types.pyspec", text=text)


def errors(text: str) -> list[str]:
    spec, diags = load(text)
    assert spec is None, "expected an error"
    return [d.message for d in diags.errors]


def probe(expr: str) -> ir.Expr:
    spec, diags = load(PRELUDE + f"def probe(): {expr}\n")
    assert spec is not None, diags.render()
    return next(d for d in spec.defs if d.name == "probe").body


def probe_error(expr: str) -> tuple[str, int]:
    """The first error of ``expr`` and its column relative to the expression."""
    spec, diags = load(PRELUDE + f"def probe(): {expr}\n")
    assert spec is None, f"{expr!r} should not check"
    first = diags.errors[0]
    assert first.span.line == PROBE_LINE
    return first.message, first.span.col - PROBE_COL


def typed(expr: str, kind: type, ty: str, op: str | None = None) -> ir.Expr:
    e = probe(expr)
    assert isinstance(e, kind), f"{expr!r}: {type(e).__name__}"
    assert str(e.type) == ty, f"{expr!r}: {e.type}"
    if op is not None:
        assert getattr(e, "op", None) == op or getattr(e, "name", None) == op, e
    return e


def refused(expr: str, message: str, col: int | None = None) -> None:
    msg, at = probe_error(expr)
    assert msg == message
    if col is not None:
        assert at == col, f"{expr!r}: error at offset {at}, expected {col}"


def test_prelude_is_valid():
    spec, diags = load(PRELUDE)
    assert spec is not None, diags.render()


# ----------------------------------------------------------------- arithmetic
@pytest.mark.parametrize("expr,op", [
    ("x + 1", "add"), ("x - N", "sub"), ("x * 2", "mul"), ("x // 2", "floordiv"), ("x % 2", "mod"),
    ("x ** 2", "pow"),
])
def test_arithmetic_on_ints(expr, op):
    typed(expr, ir.Binary, "int", op)


def test_arithmetic_needs_ints():
    refused("b + 1", "'+' needs ints, got 'bool' on its left", 0)
    refused("1 + b", "'+' needs ints, got 'bool' on its right", 4)
    refused('"a" + "b"', "'+' needs ints, got 'str' on its left", 0)


def test_unary_minus_and_literal_folding():
    typed("-x", ir.Unary, "int", "neg")
    lit = typed("-3", ir.Lit, "int")
    assert lit.value == -3
    refused("-b", "unary '-' needs an int, got 'bool'", 1)


# ------------------------------------------------------------------- bit ops
@pytest.mark.parametrize("expr,op", [
    ("x & 1", "bitand"), ("x | 1", "bitor"), ("x ^ 1", "bitxor"), ("x << 1", "shl"), ("x >> 1", "shr"),
])
def test_bit_operations_on_ints(expr, op):
    typed(expr, ir.Binary, "int", op)


def test_bit_operations_need_ints():
    typed("~x", ir.Unary, "int", "bitnot")
    refused("b & 1", "'&' needs ints, got 'bool' on its left", 0)
    refused("x << True", "'<<' needs ints, got 'bool' on its right", 5)
    refused("~b", "unary '~' needs an int, got 'bool'", 1)


# ---------------------------------------------------------------------- sets
@pytest.mark.parametrize("expr,op", [("s | {2}", "union"), ("s & {2}", "inter"), ("s - {2}", "diff")])
def test_set_operations(expr, op):
    typed(expr, ir.Binary, "set[int]", op)


def test_set_operations_refine_the_empty_set():
    typed("s | set()", ir.Binary, "set[int]", "union")
    typed("set() | s", ir.Binary, "set[int]", "union")


def test_set_operation_errors():
    refused("s + {1}", "'+' is not defined on sets (use |, & or -)", 0)
    refused("s * s", "'*' is not defined on sets (use |, & or -)", 0)
    refused("s | {True}", "cannot combine 'set[int]' and 'set[bool]' with '|'", 0)
    refused("1 + s", "'+' is not defined on sets (use |, & or -)", 0)


def test_set_literal_elements_join():
    typed("{1, 2}", ir.SetLit, "set[int]")
    typed("{none, 1}", ir.SetLit, "set[optional[int]]")
    refused("{1, True}", "set literal mixes 'int' and 'bool'", 4)


def test_range_literal():
    e = typed("1..N", ir.RangeSet, "set[int]")
    assert isinstance(e.hi, ir.ConstRef)
    refused("True..2", "'..' needs an int, got 'bool'", 0)


# ---------------------------------------------------------------------- maps
def test_map_merge():
    typed("m | {1: True}", ir.Binary, "map[int, bool]", "merge")
    refused("m - m", "'-' is not defined on maps (use m | {k: v} to update)", 0)
    refused("m | {True: 1}", "cannot merge 'map[int, bool]' with 'map[bool, int]'", 0)


def test_map_literal():
    typed("{1: True, 2: False}", ir.MapLit, "map[int, bool]")
    typed("{}", ir.MapLit, "map[?, ?]")
    refused("{1: True, True: 2}", "map literal mixes key types 'int' and 'bool'", 10)
    refused("{1: True, 2: 3}", "map literal mixes value types 'bool' and 'int'", 10)


def test_map_comprehension_keys():
    e = typed("{i: i > 0 for i in s}", ir.MapComp, "map[int, bool]")
    assert e.binder.name == "i"
    typed("{v: 0 for v in NODES}", ir.MapComp, "map[Node, int]")
    refused("{i + 1: True for i in s}", "the key of a map comprehension must be its loop variable 'i'", 1)
    refused("{i: 1 for i in s for j in s}",
            "a map comprehension takes one 'for' (maps are total functions on a set)", 0)


def test_map_application():
    typed("m[1]", ir.Index, "bool")
    refused("m[True]", "map 'map[int, bool]' has keys of type 'int', not 'bool'", 2)


# ----------------------------------------------------------------- sequences
def test_sequence_concatenation():
    typed("q + [1]", ir.Binary, "seq[int]", "concat")
    typed("q + []", ir.Binary, "seq[int]", "concat")
    refused("q - q", "'-' is not defined on sequences (use + to concatenate)", 0)
    refused("q + [True]", "cannot concatenate 'seq[int]' and 'seq[bool]'", 0)


def test_sequence_indexing():
    typed("q[0]", ir.Index, "int")
    refused("q[True]", "a sequence index needs an int, got 'bool'", 2)


def test_indexing_a_scalar():
    refused("x[0]", "cannot index into 'int'", 0)


# ------------------------------------------------------------------- tuples
def test_tuple_literal_and_indexing():
    typed("(1, True)", ir.TupleLit, "tuple[int, bool]")
    typed("t[0]", ir.Index, "int")
    typed("t[1]", ir.Index, "bool")
    typed("pair[1]", ir.Index, "int")
    refused("t[2]", "tuple index 2 out of range for 'tuple[int, bool]'", 2)
    refused("t[x]", "a tuple index must be an int literal", 2)


# -------------------------------------------------------------- comparisons
@pytest.mark.parametrize("expr,op", [
    ("x == 1", "eq"), ("x != 1", "ne"), ("x < 3", "lt"), ("x <= 3", "le"), ("x > 3", "gt"), ("x >= 3", "ge"),
    ("n == Node.n2", "eq"), ("c == Color.green", "eq"), ('"a" == "b"', "eq"), ("r == r", "eq"),
])
def test_comparisons(expr, op):
    typed(expr, ir.Binary, "bool", op)


def test_comparison_errors():
    refused("x == b", "cannot compare 'int' with 'bool'", 0)
    refused("c == n", "cannot compare 'Color' with 'Node'", 0)
    refused("b < True", "'<' compares ints (or sets), got 'bool'", 0)
    refused("x < b", "'<' compares ints (or sets), got 'bool'", 4)


def test_set_subset_comparisons():
    typed("s <= {1}", ir.Binary, "bool", "subseteq")
    typed("s < {1}", ir.Binary, "bool", "subset")
    sup = typed("s >= {1}", ir.Binary, "bool", "subseteq")
    assert isinstance(sup.left, ir.SetLit) and isinstance(sup.right, ir.VarRef)  # operands swapped
    sup = typed("s > {1}", ir.Binary, "bool", "subset")
    assert isinstance(sup.left, ir.SetLit)
    refused("s <= {True}", "cannot compare 'set[int]' with 'set[bool]'", 0)


def test_chained_comparison_is_a_conjunction():
    e = typed("1 < x < 3", ir.Binary, "bool", "and")
    assert e.left.op == "lt" and e.right.op == "lt"


def test_membership_in_sets():
    typed("1 in s", ir.Binary, "bool", "in")
    typed("1 not in s", ir.Binary, "bool", "not_in")
    refused("True in s", "cannot test whether 'bool' is in 'set[int]'", 0)
    refused("1 in 3", "'in' needs a set, a map or a sequence on its right, got 'int'", 5)
    refused("1 not in x", "'not in' needs a set, a map or a sequence on its right, got 'int'", 9)


def test_membership_in_map_keys():
    e = typed("1 in m", ir.Binary, "bool", "in")
    assert isinstance(e.right, ir.Builtin) and e.right.name == "keys"
    assert str(e.right.type) == "set[int]"
    refused("True in m", "cannot test 'bool' against the keys of 'map[int, bool]'", 0)


# ---------------------------------------------------------------- booleans
@pytest.mark.parametrize("expr,op", [("b and b", "and"), ("b or b", "or"), ("b implies b", "implies")])
def test_boolean_operators(expr, op):
    typed(expr, ir.Binary, "bool", op)


def test_boolean_operators_need_bools():
    typed("not b", ir.Unary, "bool", "not")
    refused("b or x", "an operand of 'or' must be a bool, got 'int'", 5)
    refused("x and b", "an operand of 'and' must be a bool, got 'int'", 0)
    refused("not x", "the operand of 'not' must be a bool, got 'int'", 4)
    refused("x implies b", "an operand of 'implies' must be a bool, got 'int'", 0)


# ------------------------------------------------------- if-else and joins
def test_if_else_joins_branches():
    typed("1 if b else 2", ir.IfExpr, "int")
    typed("s if b else set()", ir.IfExpr, "set[int]")
    refused("1 if b else True", "the branches of 'if ... else' have different types: 'int' and 'bool'", 0)
    refused("1 if x else 2", "an 'if' condition must be a bool, got 'int'", 5)


def test_optional_and_none_joins():
    typed("none", ir.NoneLit, "none")
    typed("1 if b else none", ir.IfExpr, "optional[int]")
    typed("none if b else 1", ir.IfExpr, "optional[int]")
    typed("o if b else 1", ir.IfExpr, "optional[int]")
    typed("o == none", ir.Binary, "bool", "eq")
    typed("o == 1", ir.Binary, "bool", "eq")
    typed("[none]", ir.SeqLit, "seq[none]")


def test_join_and_assignable_rules():
    opt_int = ir.OptionalType(T.INT)
    assert T.join(T.INT, ir.NONE_T) == opt_int
    assert T.join(ir.NONE_T, opt_int) == opt_int
    assert T.join(ir.SetType(T.ANY), ir.SetType(T.INT)) == ir.SetType(T.INT)
    assert T.join(ir.MapType(T.ANY, T.ANY), ir.MapType(T.INT, T.BOOL)) == ir.MapType(T.INT, T.BOOL)
    assert T.join(ir.IntType(ir.Lit(None, T.INT, 0), ir.Lit(None, T.INT, 3)), T.INT) == T.INT
    assert T.join(T.INT, T.BOOL) is None
    assert T.join(ir.TupleType((T.INT,)), ir.TupleType((T.INT, T.INT))) is None
    assert T.join(ir.RecordType((("a", T.INT),)), ir.RecordType((("b", T.INT),))) is None
    assert T.join(ir.LabelType("p"), ir.LabelType("p")) == ir.LabelType("p")
    assert T.join(ir.LabelType("p"), ir.LabelType("q")) is None
    assert T.join(ir.SortType("A"), ir.SortType("B")) is None
    assert T.assignable(opt_int, ir.NONE_T)
    assert T.assignable(opt_int, T.INT)
    assert not T.assignable(T.INT, ir.NONE_T)
    assert not T.assignable(T.INT, opt_int)
    assert T.assignable(ir.SetType(T.INT), ir.SetType(T.ANY))


# ------------------------------------------------------------------ records
def test_record_literal_sorts_fields():
    e = typed("record(b=True, a=1)", ir.RecordLit, "record(a: int, b: bool)")
    assert [k for k, _ in e.fields] == ["a", "b"]


def test_record_literal_errors():
    refused("record()", "record(...) takes field=value arguments only", 0)
    refused("record(1)", "record(...) takes field=value arguments only", 0)
    refused("record(a=1, a=2)", "field 'a' given twice", 12)


def test_record_field_access():
    typed("r.a", ir.Field, "int")
    typed("r.b", ir.Field, "bool")
    refused("r.c", "record 'record(a: int, b: bool)' has no field 'c'", 2)
    refused("x.a", "'int' has no field 'a'", 2)


def test_record_replace():
    typed("replace(r, a=2)", ir.RecordUpdate, "record(a: int, b: bool)")
    refused("replace(r, a=True)", "field 'a' has type 'int', got 'bool'", 0)
    refused("replace(r, c=1)", "record 'record(a: int, b: bool)' has no field 'c'", 0)
    refused("replace(x, a=1)", "replace(...) needs a record, got 'int'", 8)
    refused("replace(r)", "replace(r, field=value, ...) takes one record and field=value arguments", 0)


# ----------------------------------------------------------------- builtins
@pytest.mark.parametrize("expr,ty", [
    ("len(s)", "int"), ("len(q)", "int"), ("len(t)", "int"), ("subsets(s)", "set[set[int]]"),
    ("keys(m)", "set[int]"), ("min(s)", "int"), ("max(s)", "int"), ("unions(ss)", "set[int]"),
    ("unions({set()})", "set[?]"), ("append(q, 1)", "seq[int]"), ("head(q)", "int"), ("tail(q)", "seq[int]"),
    ("abs(-x)", "int"),
])
def test_builtin_result_types(expr, ty):
    typed(expr, ir.Builtin, ty, expr.split("(")[0])


def test_set_builtin_is_the_empty_set():
    e = typed("set()", ir.SetLit, "set[?]")
    assert e.elems == ()
    typed("[]", ir.SeqLit, "seq[?]")


@pytest.mark.parametrize("expr,message,col", [
    ("len(x)", "len() needs a set or sequence, got 'int'", 4),
    ("len(m)", "len() needs a set or sequence, got 'map[int, bool]'", 4),
    ("subsets(x)", "subsets() needs a set, got 'int'", 8),
    ("keys(s)", "keys() needs a map, got 'set[int]'", 5),
    ("min(NODES)", "min() needs a set of ints, got 'set[Node]'", 4),
    ("max(q)", "max() needs a set of ints, got 'seq[int]'", 4),
    ("unions(s)", "unions() needs a set of sets, got 'set[int]'", 7),
    ("append(s, 1)", "append() needs a sequence, got 'set[int]'", 7),
    ("append(q, True)", "cannot append 'bool' to 'seq[int]'", 10),
    ("head(s)", "head() needs a sequence, got 'set[int]'", 5),
    ("tail(x)", "tail() needs a sequence, got 'int'", 5),
    ("abs(b)", "abs() needs an int, got 'bool'", 4),
])
def test_builtin_argument_types(expr, message, col):
    refused(expr, message, col)


@pytest.mark.parametrize("expr,message", [
    ("len(s, s)", "len() takes 1 argument, got 2"),
    ("append(q)", "append() takes 2 arguments, got 1"),
    ("set(1)", "set() takes 0 arguments, got 1"),
    ("len(s=1)", "'len' takes positional arguments only"),
    ("lenn(s)", "undefined function 'lenn' (did you mean 'len'?)"),
    ("r.a(1)", "only defs and builtins can be called"),
])
def test_builtin_arity_and_calls(expr, message):
    refused(expr, message, 0)


# -------------------------------------------------------------- quantifiers
def test_quantifiers():
    e = typed("forall i in s: i > 0", ir.Quant, "bool")
    assert e.kind == "forall"
    e = typed("exists i in s, j in 1..i: j == 2", ir.Quant, "bool")
    assert e.kind == "exists" and [b.name for b in e.binders] == ["i", "j"]
    refused("forall i in s: i", "the body of 'forall' must be a bool, got 'int'", 15)
    refused("exists i in x: True", "'i in ...' needs a set or a sequence, got 'int'", 12)


def test_quantifier_names_may_not_hide_declarations():
    refused("forall x in s: x > 0", "'x' hides the declaration at line 7; choose another name", 7)
    refused("forall i in s, i in s: True", "'i' is already bound in this expression; choose another name", 15)


def test_choose():
    typed("choose i in s: i > 0", ir.Choose, "int")
    typed("choose v in NODES: True", ir.Choose, "Node")
    refused("choose i in s, j in s: i == j", "'choose' takes exactly one binder", 0)
    refused("choose i in s: i", "the condition of 'choose' must be a bool, got 'int'", 15)


def test_set_comprehension():
    typed("{i + 1 for i in s if i > 0}", ir.SetComp, "set[int]")
    typed("{(i, j) for i in s for j in NODES}", ir.SetComp, "set[tuple[int, Node]]")
    refused("{i for i in s if i}", "a comprehension condition must be a bool, got 'int'", 17)


# ---------------------------------------------------------- enums and sorts
def test_enum_and_sort_values():
    typed("Color.red", ir.EnumValue, "Color")
    typed("Node.n9", ir.SortValue, "Node")
    refused("Color.blue", "enum 'Color' has no value 'blue' (values: red, green)", 6)
    refused("Color", "'Color' is a type; write a value as Color.name", 0)


# --------------------------------------------------------------------- defs
def test_def_calls():
    e = typed("double(x)", ir.DefCall, "int")
    assert e.name == "double"
    typed("positive(1)", ir.DefCall, "bool")  # result type inferred from the body


@pytest.mark.parametrize("expr,message,col", [
    ("double(b)", "argument 'k' of 'double' has type 'int', got 'bool'", 7),
    ("double(1, 2)", "'double' takes 1 argument, got 2", 0),
    ("double()", "'double' takes 1 argument, got 0", 0),
    ("double(k=1)", "'double' takes positional arguments only", 0),
    ("double", "'double' is a def; call it with arguments: double(...)", 0),
])
def test_def_call_errors(expr, message, col):
    refused(expr, message, col)


def test_def_result_type_is_checked():
    assert errors("spec A\ndef f(k: int) -> bool: k + 1\n") == [
        "type mismatch: result of 'f' has type 'int', expected 'bool'"]


def test_def_used_before_its_result_type_is_known():
    assert errors("spec A\ndef f() -> int: g()\ndef g(): 1\n") == [
        "'g' is used before its result type is known: declare it with '-> type'"]


def test_def_in_a_constant_expression():
    assert errors("spec A\ndef f(k: int) -> int: k\nconst N: int = f(1)\n") == [
        "def 'f' cannot be used in a constant expression"]


# --------------------------------------------------------- processes / self
def test_process_local_access():
    e = typed("worker[n].count", ir.LocalRef, "int")
    assert e.process == "worker" and isinstance(e.index, ir.VarRef)
    e = typed("single.flag", ir.LocalRef, "bool")
    assert e.index is None


def test_process_local_access_errors():
    refused("worker.count", "process 'worker' is indexed: write worker[i].count", 0)
    refused("worker[1].count", "process 'worker' is indexed by 'Node', not 'int'", 7)
    refused("worker[n].nope", "process 'worker' has no local 'nope' (locals: count; 'pc' is its label)", 10)
    refused("single[n].flag", "process 'single' is a singleton: write single.flag", 0)
    refused("count", "'count' is a local of process 'worker'; outside the process write 'worker[i].count'", 0)
    refused("worker", "'worker' is a process; write worker[i].pc or worker[i].local", 0)
    refused("worker[n]", "write worker[i].pc or worker[i].local to read a process", 0)


def test_pc_is_a_label():
    e = typed("worker[n].pc", ir.PcRef, "label[worker]")
    assert e.type.labels == ("step", "Done")
    e = typed('worker[n].pc == "step"', ir.Binary, "bool", "eq")
    assert isinstance(e.right, ir.Lit) and str(e.right.type) == "label[worker]"
    typed('single.pc == "Done"', ir.Binary, "bool", "eq")
    e = typed('worker[n].pc in {"step", "Done"}', ir.Binary, "bool", "in")
    assert str(e.right.type) == "set[label[worker]]"


def test_pc_label_errors():
    refused('worker[n].pc == "nope"', "process 'worker' has no label 'nope' (labels: step, Done)", 16)
    refused("worker[n].pc == 1", "cannot compare 'label[worker]' with 'int'", 0)


SELF_SPEC = """\
spec S
sort Node
const NODES: set[Node] = {Node.n1, Node.n2}
var owner: Node = Node.n1
process worker(self in NODES):
    var me: Node = self
    step:
        owner = self
        await me == owner
"""


def test_self_in_an_indexed_process():
    spec, diags = load(SELF_SPEC)
    assert spec is not None, diags.render()
    proc = spec.processes[0]
    assert isinstance(proc.locals[0].init, ir.SelfRef) and str(proc.locals[0].init.type) == "Node"
    assign, wait = proc.steps[0].body
    assert isinstance(assign.value, ir.SelfRef) and str(assign.value.type) == "Node"
    # a local read inside its own process: no index; the variable assigned
    # earlier in the step is read primed
    assert isinstance(wait.cond.left, ir.LocalRef) and wait.cond.left.index is None
    assert isinstance(wait.cond.right, ir.VarRef) and wait.cond.right.primed


def test_self_outside_an_indexed_process():
    assert errors("spec S\nvar x: int = 0\nprocess p:\n    s:\n        x = self\n") == [
        "'self' is only defined inside an indexed process"]


# --------------------------------------------------------------- statements
STMT_PRELUDE = """\
spec St
var x: int = 0
var m: map[int, bool] = {i: False for i in 0..2}
var q: seq[int] = [0]
var r: record(a: int, b: bool) = record(a=1, b=True)
var o: optional[int] = none
const N: int = 3
def d() -> int: 1
process p:
    step:
"""


def stmt_errors(*lines: str) -> list[str]:
    return errors(STMT_PRELUDE + "".join(f"        {line}\n" for line in lines))


def stmt_ok(*lines: str) -> ir.Step:
    spec, diags = load(STMT_PRELUDE + "".join(f"        {line}\n" for line in lines))
    assert spec is not None, diags.render()
    return spec.processes[0].steps[0]


def test_assignments_that_check():
    step = stmt_ok("m[1] = True", "q[0] = 1", "r.a = 2", "o = none", "x = len(q)")
    paths = [a.path for a in step.body]
    assert isinstance(paths[0][0], ir.Index) and str(paths[0][0].type) == "bool"
    assert isinstance(paths[2][0], ir.Field) and paths[2][0].name == "a"


@pytest.mark.parametrize("line,message", [
    ("x = {1}", "type mismatch: the value assigned to 'x' has type 'set[int]', expected 'int'"),
    ("x = none", "type mismatch: the value assigned to 'x' has type 'none', expected 'int'"),
    ("m[1] = 3", "type mismatch: the value assigned to 'm' has type 'int', expected 'bool'"),
    ("m[True] = False", "key of type 'bool' does not fit map 'map[int, bool]'"),
    ("q[True] = 1", "sequence index must be an int"),
    ("r.c = 1", "'record(a: int, b: bool)' has no field 'c'"),
    ("x[0] = 1", "cannot index into 'int'"),
    ("N = 4", "cannot assign to constant 'N'"),
    ("d = 1", "cannot assign to 'd': it is a def, not a variable"),
    ("y = 1", "undefined variable 'y'"),
    ("await x", "the condition of 'await' must be a bool, got 'int'"),
])
def test_statement_errors(line, message):
    assert stmt_errors(line)[0] == message


def test_assigning_a_bound_name():
    assert stmt_errors("any i in {1, 2}:", "    i = 3")[0] == \
        "cannot assign to 'i': it is bound by a quantifier, 'any' or a macro parameter"


def test_any_binds_the_element_type():
    step = stmt_ok("any i in {1, 2} if i > 0:", "    x = i")
    a = step.body[0]
    assert isinstance(a, ir.AnyStmt) and str(a.binder.domain.type) == "set[int]"
    assert isinstance(a.body[0].value, ir.BoundRef) and str(a.body[0].value.type) == "int"
    assert stmt_errors("any i in x:", "    pass")[0] == "'any i in ...' needs a set or a sequence, got 'int'"


TWICE = "'{}' is assigned twice in step 'step' (combine the updates into one assignment)"


@pytest.mark.parametrize("lines", [
    ("x = 1", "x = 2"),
    ("m[1] = True", "m[1] = False"),
    ("m = {}", "m[1] = False"),  # the whole, then a part
    ("m[x] = True", "m = {}"),
    ("r.a = 1", "r.a = 2"),
    ("m[x] = True", "if x > 0:", "    m[x] = False"),
    ("if x > 0:", "    m[x] = True", "m[x] = False"),  # the first may run: whenever both do, they collide
    ("any i in {1, 2}:", "    m[i] = True", "    m[i] = False"),
    ("let k = x", "m[k] = True", "x = 2", "m[k] = False"),  # k is the value of x when the let ran
])
def test_updates_of_the_same_place_are_refused(lines):
    root = lines[-1].strip().split("[")[0].split(".")[0].split(" ")[0]
    assert stmt_errors(*lines)[0] == TWICE.format(root)


@pytest.mark.parametrize("lines", [
    ("m[1] = True", "m[2] = False"),  # different places: one EXCEPT with two paths
    ("r.a = 1", "r.b = False"),
    ("m[x] = True", "m[x + 1] = False"),  # may overlap: checked at run time
    ("m[x] = True", "x = x + 1", "m[x] = False"),  # the key changed in between
    ("q[0] = 1", "q[q[0]] = 2"),  # the key reads q, updated in between
    ("any i in {1, 2}:", "    m[i] = True", "any i in {0}:", "    m[i] = False"),  # two bindings of i
    ("if x > 0:", "    x = 1", "else:", "    x = 2"),
])
def test_updates_that_may_hit_different_places_check(lines):
    stmt_ok(*lines)


def test_assignments_in_different_branches_are_independent():
    stmt_ok("if x > 0:", "    x = 1", "else:", "    x = 2")
    stmt_ok("either:", "    x = 1", "or:", "    x = 2")


def test_while_condition_must_be_bool():
    assert errors("spec W\nvar x: int = 0\nprocess p:\n    while x:\n        s:\n            x = 1\n") == [
        "a 'while' condition must be a bool, got 'int'"]


# --------------------------------------------------------- declarations
def test_declared_types():
    spec, diags = load(PRELUDE + "var small: 0..N = 0\nvar p2: Pair = (0, 0)\n")
    assert spec is not None, diags.render()
    small = next(v for v in spec.vars if v.name == "small")
    assert str(small.type) == "int" and isinstance(small.type.hi, ir.ConstRef)
    assert str(next(v for v in spec.vars if v.name == "p2").type) == "tuple[int, int]"


@pytest.mark.parametrize("decl,message", [
    ("var y: int = none", "type mismatch: initial value of 'y' has type 'none', expected 'int'"),
    ("var y: bool in {1}", "initial values of 'y' have type 'int', but 'y' is declared 'bool'"),
    ("var y: int in 3", "'y in ...' needs a set of possible initial values, got 'int'"),
    ("var y: set = {1}", "'set' needs type arguments, e.g. set[int]"),
    ("var y: map[int] = {}", "'map' takes 2 type arguments, got 1"),
    ("var y: list[int] = []", "unknown generic type 'list' (use set, map, seq, tuple or optional)"),
    ("var y: True..2 = 0", "range bounds must be ints, got 'bool'"),
    ("var y: record(a: int, a: int) = record(a=1)", "duplicate field 'a'"),
    ("const C: int = True", "type mismatch: default of constant 'C' has type 'bool', expected 'int'"),
])
def test_declaration_type_errors(decl, message):
    assert errors(f"spec D\n{decl}\n")[0] == message


# --------------------------------------------------------------- properties
def test_next_in_action_properties():
    spec, diags = load(PRELUDE + "action invariant Grows: next(x) >= x\n")
    assert spec is not None, diags.render()
    e = next(p for p in spec.properties if p.name == "Grows").expr
    assert isinstance(e.left, ir.Next) and str(e.left.type) == "int"


@pytest.mark.parametrize("prop,message", [
    ("invariant I: next(x) == x", "next(...) is only allowed in an 'action invariant'"),
    ("action invariant A: next(next(x)) == x", "next(...) cannot be nested"),
    ("action invariant A: next(x, x) == x", "next(...) takes one expression"),
    ("action invariant A: x + 1", "action 'A' must be a bool, got 'int'"),
])
def test_next_errors(prop, message):
    assert errors(PRELUDE + prop + "\n")[0] == message


def test_temporal_operators():
    spec, diags = load(PRELUDE + "temporal T: (always b) and (b leads_to b) and (eventually always b)\n")
    assert spec is not None, diags.render()
    e = spec.properties[-1].expr
    assert isinstance(e, ir.Binary) and e.op == "and" and str(e.type) == "bool"
    assert isinstance(e.left.left, ir.Temporal) and e.left.left.op == "always"
    assert e.left.right.op == "leads_to"
    assert e.right.op == "eventually" and e.right.args[0].op == "always"


@pytest.mark.parametrize("prop,message", [
    ("temporal T: always x", "the operand of 'always' must be a bool, got 'int'"),
    ("temporal T: (always b) == b", "temporal operator 'always' cannot be used inside this expression "
                                    "(temporal formulas combine only with 'and', 'forall', 'always', "
                                    "'eventually', 'leads_to' and the right side of 'implies', whose left "
                                    "side may be 'always P')"),
    ("temporal T: (eventually b) implies b", "temporal operator 'eventually' cannot be used inside this "
                                             "expression (temporal formulas combine only with 'and', 'forall', "
                                             "'always', 'eventually', 'leads_to' and the right side of 'implies', "
                                             "whose left side may be 'always P')"),
    ("action invariant A: b implies eventually b", "temporal operator 'eventually' is only allowed in a 'temporal' "
                                         "property, not in an action property"),
    ("action invariant A: always next(x) >= x", "temporal operator 'always' is only allowed in a 'temporal' property, not in "
                                      "an action property (an action property is checked on every step: it needs "
                                      "no 'always', as TLA+'s [][A]_vars)"),
    ("temporal T: always next(x) >= x", "next(...) is only allowed in an 'action invariant' (TLA+'s [][A]_vars is "
                                        "'action Name: A', without 'always')"),
    ("invariant I: eventually b", "temporal operator 'eventually' is only allowed in a 'temporal' property, "
                                  "not in an invariant"),
    ("def f() -> bool: always b", "temporal operator 'always' is only allowed in a 'temporal' property, "
                                  "not in a def"),
    ("temporal T: always always b", f"unsupported temporal formula; supported forms are {SUPPORTED}"),
    ("temporal T: b implies eventually always b", f"unsupported temporal formula; supported forms are {SUPPORTED}"),
    ("temporal T: always (b implies eventually always b)",
     f"unsupported temporal formula; supported forms are {SUPPORTED}"),
    ("temporal T: b implies (b implies eventually b)",
     f"unsupported temporal formula; supported forms are {SUPPORTED}"),
    ("temporal T: eventually (b implies eventually b)",
     f"unsupported temporal formula; supported forms are {SUPPORTED}"),
    ("temporal T: b", f"unsupported temporal formula: a state predicate alone (did you mean 'always P'?); "
                      f"supported forms are {SUPPORTED}"),
])
def test_temporal_errors(prop, message):
    assert errors(PRELUDE + prop + "\n")[0] == message


# ---------------------------------------------------------------- found writing the corpus

def test_type_alias_may_use_a_constant_declared_above():
    spec, diags = load("spec T\nconst MAX: int = 3\ntype Msg = record(n: 0..MAX)\ntype B = 0..MAX\n"
                       "var x: Msg = record(n=0)\nvar y: B = 0\nprocess p:\n    s:\n        x = record(n=y)\n")
    assert not diags.errors, [d.message for d in diags.errors]
    assert spec.vars[1].type.hi is not None and spec.vars[0].type.fields[0][1].hi is not None


@pytest.mark.parametrize("text, message", [
    ("type B = 0..N\nconst N: int = 2\n", "constant 'N' is used before its declaration at line 3"),
    ("type A = set[A]\n", "type 'A' is defined in terms of itself (types cannot be recursive)"),
    ("variant M:\n    X(m: M)\n", "type 'M' is defined in terms of itself (types cannot be recursive)"),
])
def test_type_declaration_errors(text, message):
    _, diags = load("spec T\n" + text)
    assert any(message in d.message for d in diags.errors), [d.message for d in diags.errors]


def test_assignment_through_an_optional_key():
    from pyspec.engines.embedded import check

    text = ("spec K\nvar m: map[str, int] = {\"a\": 0}\nvar o: optional[str] = \"a\"\n"
            "process p:\n    s:\n        m[o] = m[o] + 1\n        o = none\n    t:\n        m[o] = 0\n"
            "model x:\n    deadlock: ignore\n")
    spec, diags = load(text)
    assert not diags.errors, [d.message for d in diags.errors]
    rep = check(spec, "x", property="deadlock")
    assert rep.verdict == "error" and "types.pyspec:9:9: assignment to m[none]: none is not a key" in rep.message


def test_unsupported_temporal_conjunct_is_located():
    spec, diags = load(PRELUDE + "temporal T: (always b) and (eventually always eventually b)\n")
    assert spec is None
    line = len(PRELUDE.splitlines()) + 1
    assert diags.errors[0].span.line == line and diags.errors[0].span.col == 29


@pytest.mark.parametrize("prop,form", [
    ("always (b implies eventually x == 1)", "leads_to"),
    ("always b implies eventually x == 1", "leads_to"),  # 'always' takes the whole implication
    ("b implies eventually x == 1", "implies_eventually"),
    ("b implies always x == 1", "implies_always"),
    ("always (b implies always x == 1)", "always_implies_always"),
    ("b and x == 0 implies eventually b", "implies_eventually"),
    ("eventually always b", "eventually_always"),
    ("always eventually b", "always_eventually"),
    ("always b", "always"),
    ("b leads_to x == 1", "leads_to"),
])
def test_temporal_forms(prop, form):
    spec, diags = load(PRELUDE + f"temporal T: {prop}\n")
    assert spec is not None, diags.render()
    assert temporal.conjunct(spec.properties[-1].expr)[0] == form


def test_temporal_forms_combine_with_and_and_forall():
    spec, diags = load(PRELUDE + "temporal T: forall i in {1, 2}: (x == i implies eventually b) and "
                       "(always (b implies eventually x == i))\n")
    assert spec is not None, diags.render()
    assert temporal.unsupported(spec.properties[-1].expr) is None
