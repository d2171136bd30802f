#!/usr/bin/env python3
"""Refresh the compiler output quoted in docs/errors.md from the must-not-compile tests' output.

Usage, after `ctest -R cf_` has run in the build directory:

    python3 tools/update_error_quotes.py [build-dir]     (default: build)

Every ```text block after a `<!-- output: <case> <gcc|clang> -->` line is replaced by the key
lines of build/tests/compile_fail/output/cf_<case>_<compiler>.txt: for g++ the "In instantiation
of" line that names the diagnostic and the first error; for clang the first error and, when it
follows, the note naming the diag:: type. Paths are cut back to typenet/...; locations in the
test's own file are left out. Blocks marked `<!-- output: ... keep -->` are left alone (quotes
edited by hand; doc_errors_output still checks them). The doc_errors_output test checks the page
against the same files, so run this when it fails after a change to a diagnostic, then read the
diff. Plain Python 3, no packages; the tests themselves do not need it.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
build = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build"
outputs = build / "tests" / "compile_fail" / "output"
page = root / "docs" / "errors.md"


def trim(line):
    line = re.sub(r"(^|[ '\"])[^ '\"]*/include/typenet/", r"\1typenet/", line)
    while re.search(r"typenet/[a-z_]+/\.\./", line):
        line = re.sub(r"typenet/[a-z_]+/\.\./", "typenet/", line)
    # a location in the test's own file: keep the message only
    line = re.sub(r"^[^ ]*/tests/compile_fail/[^:]*:[0-9]+:[0-9]+: ", "", line)
    return line


def with_first_note(lines, first, marker):
    """The error line, and the first line after it (before the next error) holding `marker`."""
    picked = [lines[first]]
    for l in lines[first + 1:]:
        if " error: " in l:
            break
        if marker in l:
            picked.append(l)
            break
    return picked


def key_lines(text, cc):
    lines = text.splitlines()
    first = next(i for i, l in enumerate(lines) if " error: " in l or l.startswith("error: "))
    if cc == "gcc":
        inst = next((i for i in range(first - 1, -1, -1) if ": In instantiation of '" in lines[i]), None)
        picked = [lines[inst], lines[first]] if inst is not None else with_first_note(lines, first, ": note: ")
    else:
        picked = with_first_note(lines, first, "note: in instantiation of template class 'typenet::diag::")
    return [trim(l) for l in picked]


text = page.read_text()
out = []
lines = text.split("\n")
i = 0
changed = 0
while i < len(lines):
    line = lines[i]
    out.append(line)
    m = re.match(r"^<!-- output: ([a-z0-9_]+) (gcc|clang)( keep)? -->$", line)
    if m and i + 1 < len(lines) and lines[i + 1].startswith("```text") and not m.group(3):
        case, cc = m.group(1), m.group(2)
        src = outputs / f"cf_{case}_{cc}.txt"
        j = i + 2
        while lines[j] != "```":
            j += 1
        if not src.exists():
            sys.exit(f"{src} is missing: run ctest -R cf_{case}_{cc} first")
        new = key_lines(src.read_text(), cc)
        if new != lines[i + 2:j]:
            changed += 1
        out.append(lines[i + 1])
        out.extend(new)
        out.append("```")
        i = j + 1
        continue
    i += 1
page.write_text("\n".join(out))
print(f"docs/errors.md: {changed} quotes refreshed")
