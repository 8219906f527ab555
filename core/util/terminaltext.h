#pragma once

#include <QString>

namespace canary {

// `text` with what could steer a terminal shown as \xNN instead: C0 and C1 controls (ESC starts a terminal
// sequence, CR rewrites the line), DEL, and the bidi overrides that reorder what follows them. For text that
// comes from outside (Dynatrace, the back-end, the state folder) before a terminal prints it. Credentials in
// it are masked (net::redactSecrets) as in every log line.
QString terminalSafe(const QString &text);

} // namespace canary
