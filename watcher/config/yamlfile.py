"""Reading ``sources.yaml``: safe YAML that remembers the line of every key."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .settings import MAX_CONFIG_BYTES

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

log = logging.getLogger(__name__)


def short(value: Any, limit: int = 40) -> str:
    """A value as printable text of at most ``limit`` characters, for error messages."""
    try:
        text = str(value)
    except ValueError:  # an integer with more digits than Python prints
        text = f"an integer of {value.bit_length()} bits"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class YamlMapping(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class YamlList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    item_lines: list[int]


@functools.cache
def _loader() -> Any:
    """A safe YAML loader (libyaml's when installed) that records key lines and
    reports values it cannot build. Made on first use: commands that read no
    ``sources.yaml`` start without importing PyYAML."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
    for tag in ("int", "float", "timestamp", "binary", "bool"):
        _checked_scalar(Loader, f"tag:yaml.org,2002:{tag}")
    return Loader


def _construct_mapping(loader: Any, node: MappingNode) -> Iterable[YamlMapping]:
    from yaml.nodes import ScalarNode

    data = YamlMapping()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode):
            if key_node.value in data.key_lines:
                raise ConfigError(
                    f"line {key_node.start_mark.line + 1}: duplicate key '{key_node.value}'"
                )
            data.key_lines[str(key_node.value)] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node, deep=True))


def _construct_sequence(loader: Any, node: SequenceNode) -> Iterable[YamlList]:
    data = YamlList()
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


def _checked_scalar(loader_class: Any, tag: str) -> None:
    """Make the loader's constructor of ``tag`` report values it cannot build (a date
    like 2025-13-45, an integer of 5,000 digits) as YAML errors with their line."""
    from yaml.constructor import ConstructorError

    construct = loader_class.yaml_constructors[tag]

    def checked(loader: Any, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError, KeyError, TypeError) as exc:
            raise ConstructorError(
                None,
                None,
                f"cannot read '{short(node.value)}' ({short(exc, 80)})",
                node.start_mark,
            ) from None

    loader_class.add_constructor(tag, checked)


def read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (run 'watcher init' to write one)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: file is too large ({len(raw)} bytes, limit 5 MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    loader = _loader()  # imports PyYAML
    import yaml

    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader
    except ConfigError as exc:
        raise ConfigError(f"{path}:{exc}".replace(":line ", ":")) from None
    except RecursionError:
        raise ConfigError(f"{path}: malformed YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        # PyYAML 6.0.4 stops deep nesting itself, before Python's recursion limit does.
        problem = "nested too deeply" if "nesting depth" in str(exc.problem) else exc.problem
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML: {exc}") from None
