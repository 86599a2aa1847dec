#!/usr/bin/env python3
"""Fails when a crate's modules depend on each other in a cycle.

For every crate under crates/, each file is a module (`src/a/b.rs` and `src/a/b/mod.rs` are
`a::b`); a module depends on another when it names it through `crate::…`, `super::…` or a
sibling's name in a `use`. Dependencies of a module on its own children and on its ancestors'
declared items are the normal tree and do not count: an edge counts between two modules when
neither contains the other. Prints each cycle found (as the modules of one strongly connected
component) and exits 1 when there is one.

    python3 scripts/module-cycles.py            # every crate
    python3 scripts/module-cycles.py intercom-sandbox
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH_RE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP_RE = re.compile(r"\buse\s+(crate|super)::\{([^;]*)\};", re.S)


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def crate_modules(src: Path) -> dict[tuple[str, ...], str]:
    return {module_of(src, f): strip_comments(f.read_text()) for f in src.rglob("*.rs")}


def longest_module(path: tuple[str, ...], modules: set) -> tuple[str, ...]:
    while path and path not in modules:
        path = path[:-1]
    return path


def edges(modules: dict[tuple[str, ...], str]) -> dict[tuple[str, ...], set]:
    names = set(modules)
    graph = {m: set() for m in modules}
    for module, text in modules.items():
        targets = []
        for root, rest in PATH_RE.findall(text):
            targets.append((root, tuple(rest.strip(":").split("::"))))
        for root, group in USE_GROUP_RE.findall(text):
            for item in group.split(","):
                first = item.strip().split("::")[0].strip("{} \n")
                if first:
                    targets.append((root, (first,)))
        for root, segments in targets:
            if root == "crate":
                path = segments
            else:
                base = module if module else ()
                # `super` in a file module is its parent.
                path = base[:-1] + segments
            target = longest_module(path, names)
            if target == module or target == module[: len(target)] or module == target[: len(module)]:
                continue
            graph[module].add(target)
    return graph


def strongly_connected(graph: dict) -> list[list]:
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return result


def main() -> int:
    wanted = set(sys.argv[1:])
    found = 0
    for src in sorted((ROOT / "crates").glob("*/src")):
        crate = src.parent.name
        if wanted and crate not in wanted:
            continue
        for cycle in strongly_connected(edges(crate_modules(src))):
            found += 1
            print(f"{crate}: " + " <-> ".join("::".join(m) or "(root)" for m in cycle))
    if found:
        print(f"{found} module cycle(s)")
        return 1
    print("no module cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
