#pragma once

#include <QObject>
#include <QString>

namespace canary::net {

// The profile's TLS settings, which every RestClient of the process starts from: a CA bundle trusted beside
// the system's CAs, and whether TLS errors may be ignored. The application sets it once from the chosen
// profile, before it makes any client (and again before it makes the clients of another profile), so no
// client can be made that forgets the profile's choice.
struct TlsPolicy
{
    QString caBundle; // a PEM file; empty: the system's CAs only
    bool allowInsecure = false;

    // Why the CA bundle cannot be used (unreadable, no PEM certificate in it), empty when it can or when
    // there is none. Checked up front so a bad path is reported once, by the settings, not per call.
    QString problem() const;

    static void setProcessDefault(const TlsPolicy &policy);
    static TlsPolicy processDefault();

    bool operator==(const TlsPolicy &) const = default;
};

// Every insecure TLS connection any client of the process accepted (the profile allowed it), in one place,
// so the window can show a red banner whichever client made it.
class TlsMonitor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsMonitor)

public:
    static TlsMonitor *instance();

Q_SIGNALS:
    void insecureConnectionAccepted(const QString &host, const QString &errors);

private:
    TlsMonitor() = default;
    friend class RestClient;
};

} // namespace canary::net
