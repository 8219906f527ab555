#pragma once

#include <QString>
#include <QStringView>

namespace canary {

// True for a code point that can steer a terminal or hide what follows it, and so is never printed as it
// is: C0 and C1 controls (ESC and CSI start a terminal sequence, CR rewrites the line, BS erases), DEL, every
// invisible format character (Unicode category Cf: the bidi embeddings, overrides and isolates U+202A–U+202E
// and U+2066–U+2069 that reorder what follows them, the direction marks, zero-width space, BOM, word
// joiner), the line and paragraph separators (U+2028, U+2029) some terminals and viewers break lines at, and
// a lone UTF-16 surrogate (not a character at all).
bool isTerminalControl(char32_t codePoint);

// `text` with every isTerminalControl() code point shown as a visible escape: "\x1b" up to 0xFF, "<U+202E>"
// above. With `keepNewlines`, '\n' stays a line break: for text this program composed line by line, never
// for a field that came from outside (a newline in an event title would start a line that looks like ours).
// Nothing else changes, credentials are not masked: terminalSafe() does both.
QString escapeTerminalControls(QStringView text, bool keepNewlines = false);

// `text` with what could steer a terminal shown as an escape instead (escapeTerminalControls(), newlines
// too). For text that comes from outside (Dynatrace, the back-end, AWX, the state folder) before a terminal
// prints it. Credentials in it are masked (net::redactSecrets) as in every log line.
QString terminalSafe(const QString &text);

} // namespace canary
