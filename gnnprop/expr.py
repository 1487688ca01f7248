"""A small, closed expression language, parsed by a whitelist over ``ast``.

Two dialects use it: the fixed layer's ``message`` / ``update`` formulas
(arithmetic on tensors) and the round rule's condition (statistics of ``x`` and
of the graph, compared and combined with and/or/not). Text is parsed with
``ast.parse(mode="eval")`` and every node is checked against a whitelist, then
turned into a tree of :class:`Node` objects that evaluate themselves. Nothing is
ever passed to ``eval``: a name, call or construct that is not on the whitelist
is a :class:`ConfigError` naming it and its column.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch

from .errors import ConfigError
from .output.numbers import format_number  # noqa: F401  (numbers in rendered formulas)

MAX_LENGTH = 1000
MAX_DEPTH = 40

# Binding strength, used to put parentheses back when rendering.
_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "atom": 9}


@dataclass(frozen=True)
class Node:
    def eval(self, env: Mapping[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, leaf: Callable[["Node"], str | None]) -> str:
        """Text of the expression; ``leaf(node)`` may replace any sub-expression."""
        return self._render(leaf)[0]

    def names(self) -> set[str]:
        return set().union(*(c.names() for c in self.children())) if self.children() else set()

    def children(self) -> tuple["Node", ...]:
        return ()

    def _render(self, leaf):  # -> (text, precedence)
        raise NotImplementedError


@dataclass(frozen=True)
class Num(Node):
    value: float

    def eval(self, env):
        return self.value

    def _render(self, leaf):
        sub = leaf(self)
        return (sub if sub is not None else format_number(self.value)), _PREC["atom"]


@dataclass(frozen=True)
class Name(Node):
    id: str

    def eval(self, env):
        return env[self.id]

    def names(self):
        return {self.id}

    def _render(self, leaf):
        sub = leaf(self)
        return (sub if sub is not None else self.id), _PREC["atom"]


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]
    fn: Callable = field(compare=False, repr=False)

    def eval(self, env):
        return self.fn(*(a.eval(env) for a in self.args))

    def children(self):
        return self.args

    def _render(self, leaf):
        sub = leaf(self)
        if sub is not None:
            return sub, _PREC["atom"]
        return f"{self.func}({', '.join(a._render(leaf)[0] for a in self.args)})", _PREC["atom"]


_BIN = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for the four operators, numbers or tensors; a number divided by 0 is +-inf (nan for 0/0)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor) and b == 0:
        return math.copysign(math.inf, a) if a else math.nan
    if not isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):  # torch computes number / tensor as
        # reciprocal(tensor) * number: two roundings, where the formula asks for one division
        return torch.full_like(b, a).div_(b)
    return a / b


@dataclass(frozen=True)
class BinOp(Node):
    op: str
    left: Node
    right: Node

    def eval(self, env):
        return arithmetic(self.op, self.left.eval(env), self.right.eval(env))

    def children(self):
        return (self.left, self.right)

    def _render(self, leaf):
        sub = leaf(self)
        if sub is not None:
            return sub, _PREC["atom"]
        p = _PREC[self.op]
        left, lp = self.left._render(leaf)
        right, rp = self.right._render(leaf)
        if lp < p:
            left = f"({left})"
        if rp < p or (rp == p and self.op in "-/"):
            right = f"({right})"
        sep = self.op if self.op in "*/" else f" {self.op} "
        return f"{left}{sep}{right}", p


@dataclass(frozen=True)
class Neg(Node):
    operand: Node

    def eval(self, env):
        return -self.operand.eval(env)

    def children(self):
        return (self.operand,)

    def _render(self, leaf):
        text, p = self.operand._render(leaf)
        return (f"-({text})" if p < _PREC["neg"] else f"-{text}"), _PREC["neg"]


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def eval(self, env):
        return not self.operand.eval(env)

    def children(self):
        return (self.operand,)

    def _render(self, leaf):
        text, p = self.operand._render(leaf)
        return (f"not ({text})" if p < _PREC["not"] else f"not {text}"), _PREC["not"]


_CMP = {
    ast.Lt: ("<", lambda a, b: a < b),
    ast.LtE: ("<=", lambda a, b: a <= b),
    ast.Gt: (">", lambda a, b: a > b),
    ast.GtE: (">=", lambda a, b: a >= b),
    ast.Eq: ("==", lambda a, b: a == b),
    ast.NotEq: ("!=", lambda a, b: a != b),
}


@dataclass(frozen=True)
class Compare(Node):
    first: Node
    ops: tuple[str, ...]
    rest: tuple[Node, ...]

    def eval(self, env):
        left = self.first.eval(env)
        for op, node in zip(self.ops, self.rest):
            right = node.eval(env)
            if not _CMP_FN[op](left, right):
                return False
            left = right
        return True

    def children(self):
        return (self.first, *self.rest)

    def _render(self, leaf):
        parts = [self.first._render(leaf)[0]]
        for op, node in zip(self.ops, self.rest):
            parts += [op, node._render(leaf)[0]]
        return " ".join(parts), _PREC["cmp"]


_CMP_FN = {sym: fn for sym, fn in _CMP.values()}


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    values: tuple[Node, ...]

    def eval(self, env):
        if self.op == "and":
            return all(bool(v.eval(env)) for v in self.values)
        return any(bool(v.eval(env)) for v in self.values)

    def children(self):
        return self.values

    def _render(self, leaf):
        p = _PREC[self.op]
        parts = []
        for v in self.values:
            text, vp = v._render(leaf)
            parts.append(f"({text})" if vp <= p and isinstance(v, BoolOp) else text)
        return f" {self.op} ".join(parts), p


@dataclass(frozen=True)
class Dialect:
    """What one use of the language may contain.

    ``names``: the variables; ``functions``: name -> (callable, number of args);
    ``logic``: whether comparisons and and/or/not are allowed.
    """

    what: str
    names: tuple[str, ...]
    functions: Mapping[str, tuple[Callable, int]]
    logic: bool = False
    call_args: tuple[str, ...] | None = None  # if set, calls take only these names


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the source text and its checked tree."""

    source: str
    tree: Node
    dialect: Dialect = field(repr=False)

    def eval(self, env: Mapping[str, Any]) -> Any:
        return self.tree.eval(env)

    def names(self) -> set[str]:
        return self.tree.names()

    def render(self, leaf: Callable[[Node], str | None]) -> str:
        return self.tree.render(leaf)

    def __str__(self) -> str:
        return self.source


def parse(text: Any, dialect: Dialect, key: str) -> Expression:
    """Parse ``text`` under ``dialect``; ``key`` names the config key for errors."""
    if not isinstance(text, str):
        raise ConfigError(f"expected an expression as a string, got {text!r}", key=key)
    if not text.strip():
        raise ConfigError("the expression is empty", key=key)
    if len(text) > MAX_LENGTH:
        raise ConfigError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}", key=key)
    if "\n" in text.strip():
        raise ConfigError("the expression must be on one line", key=key)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid decimal literal" for 1and: not ours to print
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        col = f" at column {e.offset}" if e.offset else ""
        raise ConfigError(f"cannot parse {text.strip()!r}{col}: {e.msg}", key=key) from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"the expression is nested too deeply (limit {MAX_DEPTH})", key=key) from None
    return Expression(text.strip(), _Builder(dialect, key, text.strip()).build(tree.body, 0), dialect)


class _Builder:
    def __init__(self, dialect: Dialect, key: str, text: str):
        self.d, self.key, self.text = dialect, key, text

    def fail(self, node: ast.AST, what: str, hint: str = "") -> ConfigError:
        col = getattr(node, "col_offset", None)
        at = f" at column {col + 1}" if col is not None else ""
        seg = ast.get_source_segment(self.text, node) if hasattr(node, "lineno") else None
        tok = f" {seg!r}" if seg and len(seg) <= 40 else ""
        return ConfigError(f"{what}{tok}{at} is not allowed in {self.d.what}{hint}", key=self.key)

    def allowed(self) -> str:
        parts = [f"names: {', '.join(self.d.names)}"]
        if self.d.functions:
            parts.append(f"functions: {', '.join(self.d.functions)}")
        return "; " + "; ".join(parts)

    def build(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ConfigError(f"the expression is nested too deeply (limit {MAX_DEPTH})", key=self.key)
        b = lambda n: self.build(n, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(node, "the constant", "; only numbers are")
            if not math.isfinite(node.value):
                raise self.fail(node, "the non-finite number")
            return Num(float(node.value))
        if isinstance(node, ast.Name):
            if self.d.call_args is not None and node.id in self.d.call_args:  # a tensor where a number must be
                fns = "/".join(self.d.functions)
                raise ConfigError(f"the bare {node.id!r} at column {node.col_offset + 1} is the whole "
                                  f"feature matrix; {self.d.what} must reduce it to a number with {fns}, "
                                  f"e.g. mean({node.id}) > 0", key=self.key)
            if node.id not in self.d.names:
                if node.id in self.d.functions:
                    raise self.fail(node, f"the function name {node.id!r} without a call")
                raise self.fail(node, "the name", self.allowed())
            return Name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            return BinOp(_BIN[type(node.op)], b(node.left), b(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return Neg(b(node.operand))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return b(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and self.d.logic:
            return Not(b(node.operand))
        if isinstance(node, ast.Compare) and self.d.logic and all(type(o) in _CMP for o in node.ops):
            return Compare(b(node.left), tuple(_CMP[type(o)][0] for o in node.ops),
                           tuple(b(c) for c in node.comparators))
        if isinstance(node, ast.BoolOp) and self.d.logic:
            return BoolOp("and" if isinstance(node.op, ast.And) else "or", tuple(b(v) for v in node.values))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.BinOp):
            between = self.text[node.left.end_col_offset:node.right.col_offset]
            token = between.strip().strip("()").strip() or type(node.op).__name__
            col = node.left.end_col_offset + between.index(token) + 1 if token in between else node.col_offset + 1
            raise ConfigError(f"the operator {token!r} ({type(node.op).__name__}) at column {col} "
                              f"is not allowed in {self.d.what}; use + - * /", key=self.key)
        if isinstance(node, ast.Attribute):
            raise self.fail(node, "attribute access")
        raise self.fail(node, f"{_describe(node)}")

    def call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "calling")
        name = node.func.id
        if name not in self.d.functions:
            hint = f"; functions: {', '.join(self.d.functions)}" if self.d.functions else "; no functions are"
            raise self.fail(node.func, "the function", hint)
        if node.keywords:
            raise self.fail(node, "a keyword argument")
        fn, arity = self.d.functions[name]
        if len(node.args) != arity:
            raise ConfigError(f"{name}() takes {arity} argument(s), got {len(node.args)} "
                              f"at column {node.col_offset + 1}", key=self.key)
        if self.d.call_args is not None:
            for a in node.args:
                if not (isinstance(a, ast.Name) and a.id in self.d.call_args):
                    raise self.fail(a, f"the argument to {name}()",
                                    f"; {name}() takes {' or '.join(self.d.call_args)}")
        if self.d.call_args is not None:  # checked above: each argument is one of call_args
            return Call(name, tuple(Name(a.id) for a in node.args), fn)
        return Call(name, tuple(self.build(a, depth + 1) for a in node.args), fn)


def _describe(node: ast.AST) -> str:
    kind = type(node).__name__
    return {
        "Lambda": "a lambda", "ListComp": "a comprehension", "GeneratorExp": "a comprehension",
        "SetComp": "a comprehension", "DictComp": "a comprehension", "Subscript": "indexing",
        "Compare": "a comparison", "BoolOp": "and/or", "IfExp": "if/else", "NamedExpr": "assignment",
        "Starred": "unpacking", "JoinedStr": "an f-string", "Tuple": "a tuple", "List": "a list",
        "Dict": "a dict", "Set": "a set", "Await": "await", "Yield": "yield",
    }.get(kind, f"the construct {kind}")


def _elementwise(torch_fn: Callable, math_fn: Callable) -> Callable:
    def fn(v):
        if isinstance(v, torch.Tensor):
            return torch_fn(v)
        return math_fn(float(v))
    return fn


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


LAYER_FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "relu": (_elementwise(torch.relu, lambda v: max(v, 0.0)), 1),
    "tanh": (_elementwise(torch.tanh, math.tanh), 1),
    "sigmoid": (_elementwise(torch.sigmoid, _sigmoid), 1),
    "abs": (_elementwise(torch.abs, abs), 1),
    "exp": (_elementwise(torch.exp, _exp), 1),
}

MESSAGE = Dialect("a message (layer.message)", ("x_i", "x_j", "edge_weight"), LAYER_FUNCTIONS)
UPDATE = Dialect("an update (layer.update)", ("x", "aggr_out"), LAYER_FUNCTIONS)


def _stat(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    def f(x: torch.Tensor) -> float:
        return float(fn(x.double())) if x.numel() else math.nan
    return f


RULE_STATS: dict[str, tuple[Callable, int]] = {
    "mean": (_stat(torch.mean), 1),
    "min": (_stat(torch.min), 1),
    "max": (_stat(torch.max), 1),
    "std": (_stat(torch.std), 1),
    "sum": (_stat(torch.sum), 1),
    "norm": (_stat(torch.linalg.vector_norm), 1),
}

GRAPH_STATS = ("num_nodes", "num_edges", "density", "mean_degree", "max_degree")

RULE = Dialect("a round rule (rounds.if)", ("x",) + GRAPH_STATS, RULE_STATS, logic=True, call_args=("x",))
