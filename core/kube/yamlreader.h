#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "util/expected.h"

namespace canary::kube {

struct YamlError
{
    int line = 0; // 1-based
    int column = 0; // 1-based, in bytes
    QString message;

    QString toString() const; // "line 3, column 5: tabs are not allowed in indentation"
};

// Reads the subset of YAML that kubeconfig files use and returns the same document as compact JSON, so the
// caller reads it with a JSON parser. Supported: block mappings and sequences (including kubectl's
// "key:\n- item" at the key's indentation and "- name: x" items), plain, single- and double-quoted scalars,
// comments, "---"/"..." around one document, and flow collections ({server: "…"}, [a, b]) across lines, which
// makes plain JSON a valid input. Plain scalars resolve as YAML 1.2's core schema does: null, ~, true, false,
// decimal integers and floats; everything else is a string. Anchors, aliases, tags, block scalars (| >),
// multi-line plain or quoted scalars, complex keys and further documents are refused with their position.
Expected<QByteArray, YamlError> readYamlAsJson(QByteArrayView yaml);

} // namespace canary::kube
