#pragma once

#include <cstdio>

#include <QJsonDocument>
#include <QString>
#include <QTextStream>

// canaryctl's one way to the terminal. Every line it prints goes through here, and here everything that could
// steer a terminal (ESC, CSI, CR, bidi overrides, …: canary::isTerminalControl) is shown as a visible escape
// except the '\n' between the lines canaryctl composed. Fields from outside (event titles, properties, AWX's
// job URLs and messages, server errors) are escaped where they are inserted too (canary::terminalSafe, which
// also escapes their newlines and masks credentials); this is the backstop for a field that was forgotten.
namespace canaryctl::terminal {

// Writes `text` to `stream` (stdout or stderr) escaped as above, and flushes.
void write(std::FILE *stream, const QString &text);

// A QTextStream-like buffer for one of the two streams: `terminal::out() << "x: " << n << '\n';`. What it
// holds is written (write()) at each completed line, at flush() and when it goes away, so a prompt without a
// newline needs flush() before reading the answer.
class Stream
{
public:
    explicit Stream(std::FILE *stream);
    ~Stream();
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    template<typename T>
    Stream &operator<<(const T &value)
    {
        m_text << value;
        m_text.flush();
        if (m_buffer.endsWith(u'\n'))
            flush();
        return *this;
    }
    void flush();

private:
    std::FILE *m_stream;
    QString m_buffer;
    QTextStream m_text;
};

inline Stream out()
{
    return Stream(stdout);
}
inline Stream err()
{
    return Stream(stderr);
}

// `document` as one line of compact JSON for --json output, with every isTerminalControl() character
// inside its strings written as a JSON \uXXXX escape. QJsonDocument already escapes C0 that way but writes
// DEL, C1 and the bidi controls as they are; escaped, a program reading the JSON gets exactly the same
// strings, while a person who prints it to a terminal is not steered by them. Credentials are not masked
// here: each command masks the values it takes from outside before they go in.
QString jsonLine(const QJsonDocument &document);

} // namespace canaryctl::terminal
