#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/ as the kernel's Sphinx build would parse it: every .rst
# under Documentation/virtio_dma is read by docutils (python3-docutils),
# and any warning or error fails, those of the transforms after parsing
# (unknown link targets, substitutions) included, but for the few
# Sphinx-only directives and roles named below, which plain docutils
# does not know; a misspelt directive fails. A table whose text runs into
# a column margin, say, renders wrong or not at all.
#
#   docs-check.sh [FILE.rst...]

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top"/Documentation/virtio_dma/*.rst
exec /usr/bin/python3 - "$@" <<'PY'
import sys
import docutils.core
import docutils.nodes

# What the kernel's Sphinx build knows and docutils does not: the
# messages docutils gives for each, nothing wider.
SPHINX_ONLY = tuple(
    ['Unknown directive type "%s".' % d for d in ('toctree', 'kernel-doc')] +
    ['%s "%s".' % (m, r)
     for m in ('Unknown interpreted text role', 'No role entry for')
     for r in ('doc', 'ref', 'c:func')])
bad = 0
for path in sys.argv[1:]:
    with open(path, encoding='utf-8') as f:
        text = f.read()
    tree = docutils.core.publish_doctree(
        text, source_path=path,
        settings_overrides={'report_level': 5, 'halt_level': 5,
                            '_disable_config': True})
    msgs = list(tree.findall(docutils.nodes.system_message))
    for msg in msgs + tree.transform_messages:
        what = msg.children[0].astext() if msg.children else ''
        if msg['level'] < 2 or what.startswith(SPHINX_ONLY):
            continue
        print('%s:%s: %s' % (path, msg.get('line', '?'), what))
        bad += 1
sys.exit(1 if bad else 0)
PY
