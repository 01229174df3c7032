#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Embed a JSON document in the binary: read IN (strict JSON: duplicate
keys and NaN refused), write OUT, a C file defining

    const char NAME[];        the document, compact, NUL-terminated
    const size_t NAME_len;    its length without the NUL

The build runs it on docs/openrpc.json for rpc.discover (src/rpc/meson.build),
so a document that is not valid JSON fails the build."""
import json
import sys


def no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {k!r}")
        seen[k] = v
    return seen


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: embed_json.py IN.json OUT.c SYMBOL")
    src, out, name = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        try:
            doc = json.load(f, object_pairs_hook=no_duplicates,
                            parse_constant=refuse_constant)
        except ValueError as e:
            sys.exit(f"{src}: {e}")
    data = json.dumps(doc, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    lines = [f"/* Generated from {src.rsplit('/', 1)[-1]} by "
             "src/rpc/embed_json.py: do not edit. */",
             "#include <stddef.h>", "",
             f"extern const char {name}[];",
             f"extern const size_t {name}_len;", "",
             f"const char {name}[] = {{"]
    for i in range(0, len(data), 16):
        lines.append("\t" + ", ".join(f"0x{b:02x}" for b in data[i:i + 16]) + ",")
    lines.append("\t0x00,")
    lines.append("};")
    lines.append(f"const size_t {name}_len = {len(data)};")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
