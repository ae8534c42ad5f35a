#!/usr/bin/env python3
"""Usage: check_includes.py SOURCE_DIR | --self-test

Checks every #include in src/, tests/, bench/ and fuzz/ against bertgrid's floors, lowest first:
core < {text, io, dist} < model < train < jobs < grid < cli. A file under src/FLOOR may include
its own floor and the floors below it, never a sibling on its floor or a floor above. Project
includes are folder-qualified ("grid/plan.h", "tests/support.h"), never bare ("plan.h").
<mpi.h> and <nccl.h> appear only in src/dist, <hdf5.h> only in src/io. Prints each violation as
FILE:LINE: message and exits 1 when there is any, else prints a summary and exits 0.
--self-test runs the checks on a small tree with one violation of each kind planted in it and
exits 1 unless exactly those are found.
"""
import pathlib
import re
import sys
import tempfile

RANK = {"core": 0, "text": 1, "io": 1, "dist": 1, "model": 2, "train": 3, "jobs": 4, "grid": 5,
        "cli": 6}
SYSTEM_OWNERS = {"mpi.h": "dist", "nccl.h": "dist", "hdf5.h": "io"}
NON_SRC_ROOTS = ("tests", "bench", "fuzz")
# The tests of io/embeddings_h5 write damaged HDF5 files through the C API itself, to check that
# the reader refuses them: the one place outside src/io where <hdf5.h> belongs.
SYSTEM_HEADER_EXCEPTIONS = {("tests/test_embeddings_h5.cpp", "hdf5.h"),
                            ("fuzz/fuzz_embeddings_h5.cpp", "hdf5.h")}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def floor_of(path: pathlib.Path, root: pathlib.Path):
    parts = path.relative_to(root).parts
    return parts[1] if parts[0] == "src" and len(parts) > 2 else None


def check_quoted(name, floor, root):
    head = name.split("/")[0]
    if "/" not in name:
        return f'"{name}" is not folder-qualified'
    if head in NON_SRC_ROOTS:
        if floor is not None:
            return f'library code includes "{name}" from {head}/'
        return None if (root / name).is_file() else f'"{name}" does not exist'
    if head not in RANK:
        return f'"{name}" names no floor ({", ".join(RANK)})'
    if not (root / "src" / name).is_file():
        return f'"{name}" does not exist under src/'
    if floor is None or head == floor:
        return None
    if RANK[head] > RANK[floor]:
        return f'{floor}/ includes "{name}" from a floor above it'
    if RANK[head] == RANK[floor]:
        return f'{floor}/ includes "{name}" from a sibling on its floor'
    return None


def check_system(name, floor, relative):
    owner = SYSTEM_OWNERS.get(name)
    if owner and floor != owner and (relative, name) not in SYSTEM_HEADER_EXCEPTIONS:
        return f"<{name}> is included outside src/{owner}"
    return None


def violations(root: pathlib.Path):
    files = [p for d in ("src",) + NON_SRC_ROOTS for p in (root / d).rglob("*")
             if p.suffix in (".h", ".cpp", ".cu", ".hpp")]
    for path in sorted(files):
        floor = floor_of(path, root)
        if path.parts[len(root.parts)] == "src" and floor not in RANK:
            yield path, 0, f"src/{floor}/ is not a floor ({', '.join(RANK)})"
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            kind, name = match.groups()
            problem = check_quoted(name, floor, root) if kind == '"' else check_system(
                name, floor, path.relative_to(root).as_posix())
            if problem:
                yield path, number, problem


PLANTED = {
    "src/core/config.h": ("", None),
    "src/text/csv.h": ('#include "core/config.h"\n', None),
    "src/io/bad_up.cpp": ('#include "model/x.h"\n', "from a floor above it"),
    "src/io/bad_sibling.cpp": ('#include "dist/y.h"\n', "from a sibling on its floor"),
    "src/model/x.h": ('#include "x.h"\n', "is not folder-qualified"),
    "src/dist/y.h": ("#include <mpi.h>\n", None),
    "src/train/stray.cpp": ("#include <mpi.h>\n", "outside src/dist"),
    "src/grid/h5.cpp": ("#include <hdf5.h>\n", "outside src/io"),
    "src/jobs/missing.cpp": ('#include "train/none.h"\n', "does not exist"),
    "tests/t.cpp": ('#include "grid/h5.h"\n', "does not exist"),
}


def self_test():
    with tempfile.TemporaryDirectory() as folder:
        root = pathlib.Path(folder)
        for name, (text, _) in PLANTED.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        found = {p.relative_to(root).as_posix(): problem for p, _, problem in violations(root)}
    expected = {name: why for name, (_, why) in PLANTED.items() if why}
    wrong = [name for name in set(found) | set(expected)
             if name not in found or name not in expected or expected[name] not in found[name]]
    for name in sorted(wrong):
        print(f"self-test: {name}: expected {expected.get(name)!r}, got {found.get(name)!r}")
    print(f"check_includes self-test: {len(expected) - len(wrong)} of {len(expected)} planted"
          " violations found, nothing else flagged" if not wrong else "self-test failed")
    return 1 if wrong else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    root = pathlib.Path(argv[1]).resolve()
    found = list(violations(root))
    for path, number, problem in found:
        print(f"{path.relative_to(root)}:{number}: {problem}")
    if found:
        print(f"check_includes: {len(found)} include(s) break the floors", file=sys.stderr)
        return 1
    print("check_includes: every include respects the floors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
