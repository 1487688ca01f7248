"""Reading and writing config YAML: safe, strict, one-line errors.

Only ``yaml.SafeLoader`` (tags like ``!!python/object`` are refused); duplicate
keys refused; every error names the file, line and column. Aliases (``*name``)
are bounded twice before anything is built: at most 100 of them, and what they
expand to at most 10,000 values beyond the file's own (an alias bomb: 90 aliases
in 10 levels would expand to billions); an alias inside its own anchor (``a: &r
[*r]``, a structure that contains itself) is refused. Merge keys (``<<: *base``,
``<<: [*a, *b]``) work as YAML 1.1 defines them: the keys written beside them win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError


MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, alias bombs and recursive aliases."""

    max_aliases = 100
    #: How many values aliases may add to a document (a config holds a few dozen).
    max_expansion = 10_000

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                mark = self.peek_event().start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {self.max_aliases} aliases (*name); refusing to expand them", mark)
        return super().compose_node(parent, index)

    def compose_document(self):
        node = super().compose_document()
        if self._aliases:
            check_expansion(node, self.max_expansion)
        return node

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:  # <<: *base (SafeConstructor merges it; the keys beside it win)
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # SafeConstructor says "found unhashable key", with its place
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_expansion(root: yaml.Node, limit: int) -> None:
    """Refuse a composed document whose aliases add more than ``limit`` values when expanded, or
    whose aliases make a node contain itself. The composed graph shares an anchored node among its
    aliases, so each node's expanded size is counted once (no expansion happens here)."""
    size: dict[int, int] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            visiting.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in visiting:  # reached again from inside itself
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to the node that contains it (a structure holding itself); a config "
                "cannot be one", node.start_mark)
        visiting.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    added = size[id(root)] - len(size)
    if added > limit:
        nodes = {id(n): n for n in _walk(root)}
        worst = min((k for k in nodes if size[k] > limit), key=lambda k: size[k], default=id(root))
        raise yaml.constructor.ConstructorError(
            None, None, f"the aliases here expand to {size[worst]:,} values (a config holds a few dozen; at most "
            f"{limit:,} may come from aliases); refusing to expand them", nodes[worst].start_mark)


def _walk(root: yaml.Node):
    """Every distinct node under ``root`` (an alias's node once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(_children(node))


def parse_yaml(text: str, source: str) -> Any:
    """The data in ``text`` (YAML); errors name ``source`` and the place."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is too deeply nested (a config is a few levels deep)") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        what = e.problem or e.context or "invalid YAML"
        raise ConfigError(f"{source}{place}: {what}") from None
    except yaml.YAMLError as e:  # e.g. a ReaderError for control characters
        pos = getattr(e, "position", None)
        where = f" (character {pos + 1})" if isinstance(pos, int) else ""
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"{source}{where}: {first}") from None


def read_yaml_file(path: str | Path) -> Any:
    """The data in the YAML file ``path``; a missing or unreadable file is a :class:`ConfigError`."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source}: cannot read the config file: {e}") from None
    return parse_yaml(text, source)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
