"""YAML reading that keeps line numbers, for ``file:line`` messages.

``LineLoader`` is PyYAML's safe loader (no arbitrary objects are ever constructed) with two
additions: every mapping comes back as a ``LineMap`` that knows the line of each key, and a key that
appears twice is an error instead of silently keeping the last value.
"""

from __future__ import annotations

from typing import Any

import yaml

from lms.content.linemap import LineMap


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int):
        super().__init__(f"key {key!r} appears twice")
        self.key = key
        self.line = line


class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's C parser when PyYAML has it (about ten times faster at start-up), else pure Python;
    construction is the safe constructor either way."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise DuplicateKey(str(key), key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def parse_yaml(text: str, first_line: int = 1) -> Any:
    """Parse YAML safely; raise ``YamlProblem`` with a 1-based line on any syntax problem.

    ``first_line`` is where ``text`` starts in its file (front matter starts on line 2), so every
    line reported, by errors and by ``LineMap``, is a line of the file.
    """
    try:
        # Leading newlines shift every mark to the text's place in its file.
        return yaml.load("\n" * (first_line - 1) + text, Loader=LineLoader)  # noqa: S506
    except DuplicateKey as exc:
        raise YamlProblem(exc.line, str(exc)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else first_line
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(line, f"invalid YAML: {problem}") from exc
