#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Embed the explorer's static files in the binary: write OUT, a C file
defining the table src/ws/www.c serves (ws_www_files, ws_www_n_files),
one entry per IN file, named by its base name with a MIME type from its
extension. The build runs it on src/ws/www/* (src/ws/meson.build), so
the node never reads these files at run time and serves the page it was
built with. Usage: embed_www.py WWW.H OUT.c IN... (WWW.H: the path of src/ws/www.h,
which declares the table)

A file whose extension has no MIME type here fails the build, as does a
name that is not [a-z0-9._-]+ (it becomes a URL path as it is)."""
import os
import re
import sys

MIME = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: embed_www.py WWW.H OUT.c IN...")
    header, out, srcs = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = ["/* Generated from src/ws/www/ by src/ws/embed_www.py: do not "
             "edit. */",
             f'#include "{header}"', ""]
    entries = []
    for i, src in enumerate(srcs):
        name = os.path.basename(src)
        if not re.fullmatch(r"[a-z0-9._-]+", name):
            sys.exit(f"{src}: a file name of [a-z0-9._-] only")
        ext = os.path.splitext(name)[1]
        if ext not in MIME:
            sys.exit(f"{src}: no MIME type for {ext!r} (embed_www.py)")
        with open(src, "rb") as f:
            data = f.read()
        lines.append(f"static const unsigned char file{i}[] = {{")
        for k in range(0, len(data), 16):
            lines.append("\t" + ", ".join(f"0x{b:02x}"
                                          for b in data[k:k + 16]) + ",")
        lines.append("\t0x00,")
        lines.append("};")
        entries.append(f'\t{{"/{name}", "{MIME[ext]}", file{i}, '
                       f'{len(data)}}},')
    lines.append("")
    lines.append("const struct ws_www_file ws_www_files[] = {")
    lines.extend(entries)
    lines.append("};")
    lines.append(f"const size_t ws_www_n_files = {len(srcs)};")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
