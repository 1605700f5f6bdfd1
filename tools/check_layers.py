#!/usr/bin/env python3
"""Check that src/ keeps the layering of src/README.md.

Each folder of src/ may use only the folders on lower layers of the table in
src/README.md ("Two folders on one line are peers and do not use each other").
"Use" is read two ways:

  * includes: every `#include "..."` in src/ and include/cltrain/ (a public
    header belongs to the folder named for it in src/README.md's header table);
  * symbols (with --objects BUILD_DIR): `nm` of every object file built from
    src/, an undefined symbol pointing at the object that defines it.

It fails on an upward or sideways use between folders, on a public header no
table row claims, on a symbol the core library takes from the application
library (the **cltrain_core** line of src/README.md), and on a circle between two or more object files of one
folder (a.c calls b.c, which calls back into a.c). Python 3 standard library
and `nm` only; CTest runs it (tests/CMakeLists.txt), so CI does too.

    tools/check_layers.py [--root DIR] [--objects BUILD_DIR] [--graph]
"""
import argparse
import os
import re
import subprocess
import sys

LAYER_ROW = re.compile(r"^\|\s*(\d+)\s*\|([^|]*)\|")
CORE_LIBRARY = re.compile(r"\*\*cltrain_core\*\* is (.*?), which", re.S)
HEADER_ROW = re.compile(r"^\|\s*`(cltrain/[\w.]+\.h)`\s*\|\s*`(\w+)/`\s*\|")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_readme(path):
    """Layer per folder, owning folder per public header and the folders of the
    core library, from src/README.md."""
    layers, owners = {}, {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = CORE_LIBRARY.search(text)
    core = set(re.findall(r"`(\w+)/`", m.group(1))) if m else set()
    for line in text.splitlines():
        m = HEADER_ROW.match(line)
        if m:
            owners[m.group(1)] = m.group(2)
            continue
        m = LAYER_ROW.match(line)
        if m:
            for folder in re.findall(r"`(\w+)/`", m.group(2)):
                layers[folder] = int(m.group(1))
    return layers, owners, core


def source_files(root):
    for base in ("src", "include/cltrain"):
        for dirpath, _, names in os.walk(os.path.join(root, base)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    yield os.path.join(dirpath, name)


def folder_of(root, path, owners):
    """The src/ folder a file belongs to; None outside src/ and include/."""
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    if rel.startswith("include/"):
        return owners.get(rel[len("include/"):], "?" + rel)
    parts = rel.split("/")
    return parts[1] if parts[0] == "src" and len(parts) > 2 else None


def include_edges(root, owners, errors):
    """(from folder, to folder, where) for every quoted include."""
    edges = []
    for path in source_files(root):
        rel = os.path.relpath(path, root)
        src = folder_of(root, path, owners)
        if src is None:
            continue
        if src.startswith("?"):
            errors.append(f"{rel}: public header has no row in src/README.md's header table")
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            target = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if target.startswith("cltrain/"):
                dst = owners.get(target)
                if dst is None:
                    errors.append(f"{rel}:{line}: includes {target}, which no row of "
                                  "src/README.md's header table claims")
                    continue
            elif "/" in target:
                dst = target.split("/", 1)[0]
            else:
                continue  # a file beside it in the same folder
            if dst != src:
                edges.append((src, dst, f"{rel}:{line}: #include \"{target}\""))
    return edges


def object_files(build):
    """(folder, object path) for every object compiled from src/."""
    pat = re.compile(r"/src/(\w+)/(?:[\w./-]+/)?[\w.-]+\.c\.o$")
    for dirpath, _, names in os.walk(os.path.join(build, "CMakeFiles")):
        for name in sorted(names):
            path = os.path.join(dirpath, name).replace(os.sep, "/")
            m = pat.search(path)
            if m:
                yield m.group(1), path
            elif path.endswith("/generated/kernels_embedded.c.o"):
                yield "core", path


def current_objects(root, build):
    """(folder, name, object) per source file of src/ that still exists, the
    newest object when a build directory holds several (a renamed target
    leaves its old objects behind)."""
    newest = {}
    for fold, obj in object_files(build):
        name = obj.split("/src/", 1)[-1] if "/src/" in obj else "generated/kernels_embedded.c"
        name = name[:-2] if name.endswith(".o") else name
        if "/src/" in obj and not os.path.exists(os.path.join(root, "src", name)):
            continue  # the source is gone: a stale object
        if name not in newest or os.path.getmtime(obj) > os.path.getmtime(newest[name][2]):
            newest[name] = (fold, name, obj)
    return sorted(newest.values())


def symbol_edges(root, build, errors):
    """(from folder, to folder, where) per undefined symbol, and the object graph."""
    defined, undefined, folder = {}, {}, {}
    for fold, name, obj in current_objects(root, build):
        folder[name] = fold
        out = subprocess.run(["nm", "-P", "-g", obj], capture_output=True, text=True)
        if out.returncode != 0:
            errors.append(f"nm {obj}: {out.stderr.strip()}")
            continue
        undefined[name] = set()
        for line in out.stdout.splitlines():
            fields = line.split()
            if len(fields) < 2:
                continue
            sym, kind = fields[0], fields[1]
            if kind == "U":
                undefined[name].add(sym)
            elif kind in "TDBRCVWG" or kind in "tdbr":
                defined.setdefault(sym, name)
    edges, graph = [], {n: set() for n in folder}
    for name, syms in undefined.items():
        for sym in sorted(syms):
            to = defined.get(sym)
            if to is None or to == name:
                continue
            graph[name].add(to)
            if folder[to] != folder[name]:
                edges.append((folder[name], folder[to], f"{name} uses {sym} from {to}"))
    return edges, graph, folder


def circles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_edges(edges, layers, errors, how):
    for src, dst, where in edges:
        if src not in layers or dst not in layers:
            missing = src if src not in layers else dst
            errors.append(f"{where}: folder {missing}/ has no layer in src/README.md")
        elif layers[dst] >= layers[src]:
            kind = "a peer" if layers[dst] == layers[src] else "a higher layer"
            errors.append(f"{where}: {src}/ (layer {layers[src]}) uses {dst}/ "
                          f"(layer {layers[dst]}), {kind} [{how}]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--objects", help="build directory whose CMakeFiles/ hold the objects")
    ap.add_argument("--graph", action="store_true", help="print the folder graph and exit 0")
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    errors = []
    layers, owners, core = read_readme(os.path.join(root, "src", "README.md"))
    if not layers:
        errors.append("src/README.md: no layer table found")
    for folder in sorted(os.listdir(os.path.join(root, "src"))):
        if os.path.isdir(os.path.join(root, "src", folder)) and folder not in layers:
            errors.append(f"src/{folder}/: no layer in src/README.md")

    edges = include_edges(root, owners, errors)
    check_edges(edges, layers, errors, "include")
    if args.objects:
        sym_edges, graph, folder = symbol_edges(root, os.path.abspath(args.objects), errors)
        if not graph:
            errors.append(f"{args.objects}: no object files from src/ (build first)")
        check_edges(sym_edges, layers, errors, "link")
        if not core:
            errors.append("src/README.md: no **cltrain_core** line naming the core library's folders")
        for src, dst, where in sym_edges:
            if src in core and dst not in core:
                errors.append(f"{where}: the core library ({src}/) links the application "
                              f"library ({dst}/)")
        edges += sym_edges
        for comp in circles(graph):
            if len({folder[n] for n in comp}) == 1:
                errors.append("circle between the files of " + folder[comp[0]] + "/: " +
                              " <-> ".join(comp))
    if args.graph:
        pairs = sorted({(s, d) for s, d, _ in edges})
        for s, d in pairs:
            print(f"{s} ({layers.get(s, '?')}) -> {d} ({layers.get(d, '?')})")
        return 0
    for e in sorted(set(errors)):
        print(e)
    if errors:
        print(f"check_layers: {len(set(errors))} problem(s); the rule is in src/README.md",
              file=sys.stderr)
        return 1
    print(f"check_layers: {len(layers)} folders, {len(edges)} uses, all downward, no circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
