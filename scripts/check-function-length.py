#!/usr/bin/env python3
"""Fails when a function body grows past a limit: small functions, kept by a check.

Usage: check-function-length.py [ROOT] [--exceptions FILE] [--list]

Counts the lines strictly between a function body's braces (lambdas and local classes count
towards the function that holds them) in every .h/.cc under core/, sim/, backends/ and
scenarios/ (limit LIMIT lines) and tests/ (TEST_LIMIT: a test reads top to bottom and may be
longer). The functions that were longer when the check was written are listed in
scripts/function-length-exceptions.txt, one "path name lines" a line. That list may only
shrink: the check fails when a listed function grew, and also when it shrank or is gone, so
that whoever shortens it lowers (or removes) its entry and nobody can regrow it later.
`--list` prints the current over-limit functions in the exceptions format.

The parser is a deliberately small brace matcher, not a C++ front end: it skips comments,
string and character literals (raw strings included), and takes a brace at namespace or class
scope to open a function body when the text before it has a parameter list and no
namespace/class/struct/union/enum/= before it. Deterministic (sorted walk), and fast: well under
a second for the whole tree.

Exit status: 0 clean, 1 offences (each named), 2 usage or I/O error.
"""
import os
import re
import sys

LIMIT = 80
TEST_LIMIT = 150
CHECKED = ("core", "sim", "backends", "scenarios", "tests")
CONTAINER = re.compile(r"^(?:template\s*<.*>\s*)?(?:namespace|class|struct|union|enum)\b|^extern\s*\"",
                       re.S)


def strip(text):
    """Replaces comments and literals by spaces, keeping newlines (so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            # A digit separator (1'000'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "#" and (i == 0 or text[i - 1] == "\n"):
            # Preprocessor lines (and their continuations) are not code to match braces in.
            j = i
            while True:
                k = text.find("\n", j)
                if k < 0:
                    k = n
                    break
                if text[k - 1] != "\\":
                    break
                j = k + 1
            out.append(re.sub(r"[^\n]", " ", text[i:k]))
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


def function_name(header):
    """The name before the parameter list: `Retry::after_failure`, `operator()`, `main`."""
    flat = " ".join(header.split())
    m = re.search(r"(operator\s*(?:\(\)|[^\s(]+))\s*\(", flat)
    if m:
        return m.group(1).replace(" ", "")
    depth = 0
    # The first top-level '(' that follows an identifier (skipping template argument lists).
    for i, ch in enumerate(flat):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == "(" and depth == 0:
            m = re.search(r"([~\w:]+)\s*$", flat[:i])
            if m:
                return m.group(1)
    m = re.search(r"\[[^\]]*\]", flat)
    return "lambda" if m else "?"


def is_function_header(header):
    h = " ".join(header.split())
    if not h or "(" not in h or CONTAINER.match(h):
        return False
    # `x = {`, `T v{` brace initialisers; a lambda assigned at namespace scope has a `(` after `]`.
    if h.endswith("=") or re.search(r"[\w>]$", h) and not re.search(
            r"\)\s*(?:const|noexcept|override|final|mutable|volatile|&|&&|\s)*$|->\s*[\w:<>,\s*&]+$|requires\b",
            h):
        return False
    return True


def functions(path, text):
    """Yields (name, first_line, body_lines) for each function body at namespace/class scope."""
    code = strip(text)
    stack = []  # one entry per open brace: "container", "function" or "other"
    header_start = 0
    fn_open = None
    line = 1
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == "\n":
            line += 1
        elif c == "{":
            in_function = "function" in stack
            header = code[header_start:i]
            if in_function:
                stack.append("other")
            elif CONTAINER.match(" ".join(header.split())):
                stack.append("container")
                header_start = i + 1
            elif is_function_header(header) and not stack_in_initializer(header):
                stack.append("function")
                fn_open = (function_name(header), line)
            else:
                # A brace initialiser (in a member's default, a constructor's init list...).
                stack.append("other")
        elif c == "}":
            kind = stack.pop() if stack else "other"
            if kind == "function":
                name, first = fn_open
                yield name, first, line - first - 1
                header_start = i + 1
            elif kind == "container":
                header_start = i + 1
            # else: an initialiser brace closed; the header it sat in continues.
        elif c == ";" and "function" not in stack and "other" not in stack:
            header_start = i + 1
        i += 1


def stack_in_initializer(header):
    """True when the brace is a member initialiser inside a constructor's init list:
    `Foo(int a) : a_{a}` (the header's last `)` is followed by ':' and the brace follows a name)."""
    h = " ".join(header.split())
    if not re.search(r"[\w>]\s*$", h):
        return False
    return re.search(r"\)\s*(?:noexcept\s*)?:\s*[\w:]", h) is not None and not re.search(
        r"\)\s*(?:const|noexcept|override|final|mutable)?\s*$", h)


def scan(root):
    found = []
    for top in CHECKED:
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for f in sorted(filenames):
                if not f.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                limit = TEST_LIMIT if rel.startswith("tests" + os.sep) else LIMIT
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                seen = {}
                for name, first, lines in functions(path, text):
                    seen[name] = seen.get(name, 0) + 1
                    key = name if seen[name] == 1 else f"{name}#{seen[name]}"
                    if lines > limit:
                        found.append((rel, key, lines, first, limit))
    return found


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    exceptions = None
    list_only = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--exceptions" and args:
            exceptions = args.pop(0)
        elif a == "--list":
            list_only = True
        elif not a.startswith("-"):
            root = a
        else:
            print(__doc__)
            return 2
    root = os.path.abspath(root)
    if exceptions is None:
        exceptions = os.path.join(root, "scripts", "function-length-exceptions.txt")
    found = scan(root)
    if list_only:
        for rel, key, lines, _, _ in found:
            print(f"{rel} {key} {lines}")
        return 0
    listed = {}
    try:
        with open(exceptions, encoding="utf-8") as fh:
            for raw in fh:
                text = raw.strip()
                if not text or text.startswith("#"):
                    continue
                parts = text.split()
                if len(parts) != 3 or not parts[2].isdigit():
                    print(f"{exceptions}: malformed line: {raw.rstrip()}")
                    return 2
                listed[(parts[0], parts[1])] = int(parts[2])
    except OSError as e:
        print(f"cannot read {exceptions}: {e}")
        return 2
    status = 0
    over = {(rel, key): (lines, first, limit) for rel, key, lines, first, limit in found}
    for (rel, key), (lines, first, limit) in sorted(over.items()):
        allowed = listed.get((rel, key))
        if allowed is None:
            print(f"{rel}:{first}: {key} has {lines} lines of body (limit {limit}): split it")
            status = 1
        elif lines > allowed:
            print(f"{rel}:{first}: {key} grew to {lines} lines of body (listed at {allowed}, "
                  f"limit {limit}): shorten it, do not raise the entry")
            status = 1
        elif lines < allowed:
            print(f"{rel}:{first}: {key} shrank to {lines} lines: lower its entry in "
                  f"{os.path.relpath(exceptions, root)} to {lines}")
            status = 1
    for (rel, key), allowed in sorted(listed.items()):
        if (rel, key) not in over:
            print(f"{rel}: {key} (listed at {allowed}) is gone or within the limit: remove its entry "
                  f"from {os.path.relpath(exceptions, root)}")
            status = 1
    if status == 0:
        print(f"function length: none past {LIMIT} lines ({TEST_LIMIT} in tests/) beyond the "
              f"{len(listed)} listed exceptions")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
