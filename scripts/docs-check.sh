#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/ as the kernel's Sphinx build would parse it: every .rst
# under Documentation/virtio_dma is read by docutils (python3-docutils),
# and any warning or error fails, but for the directives and roles only
# Sphinx knows (toctree, :doc:, kernel-doc), which plain docutils cannot.
# A table whose text runs into a column margin, say, renders wrong or not
# at all.
#
#   docs-check.sh [FILE.rst...]

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top"/Documentation/virtio_dma/*.rst
exec /usr/bin/python3 - "$@" <<'PY'
import sys
import docutils.core
import docutils.nodes

SPHINX_ONLY = ('Unknown directive type', 'Unknown interpreted text role',
               'No role entry for', 'No directive entry for')
bad = 0
for path in sys.argv[1:]:
    with open(path, encoding='utf-8') as f:
        text = f.read()
    tree = docutils.core.publish_doctree(
        text, source_path=path,
        settings_overrides={'report_level': 5, 'halt_level': 5})
    for msg in tree.traverse(docutils.nodes.system_message):
        what = msg.children[0].astext() if msg.children else ''
        if msg['level'] < 2 or what.startswith(SPHINX_ONLY):
            continue
        print('%s:%s: %s' % (path, msg.get('line', '?'), what))
        bad += 1
sys.exit(1 if bad else 0)
PY
