#pragma once

// Locking and unlocking the test's GNOME Keyring over the private session bus that with-keyring.sh starts:
// locking needs no prompt, unlocking uses the test keyring's password (CANARY_TEST_KEYRING_PASSWORD), so a
// test can show what the app does with a locked keychain and then put it back.

#include <QByteArray>
#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusObjectPath>
#include <QDBusVariant>
#include <QString>

namespace canary::testing {

// The Secret Service's "secret" struct (oayays) with the "plain" algorithm: enough for gnome-keyring's
// UnlockWithMasterPassword, which unlocks a collection without a prompt.
struct PlainSecret
{
    QDBusObjectPath session;
    QByteArray parameters;
    QByteArray value;
    QString contentType;
};

inline QDBusArgument &operator<<(QDBusArgument &argument, const PlainSecret &secret)
{
    argument.beginStructure();
    argument << secret.session << secret.parameters << secret.value << secret.contentType;
    argument.endStructure();
    return argument;
}

inline const QDBusArgument &operator>>(const QDBusArgument &argument, PlainSecret &secret)
{
    argument.beginStructure();
    argument >> secret.session >> secret.parameters >> secret.value >> secret.contentType;
    argument.endStructure();
    return argument;
}

inline QDBusMessage callSecretService(
    const QString &interface, const QString &method, const QVariantList &arguments)
{
    QDBusMessage message = QDBusMessage::createMethodCall(QStringLiteral("org.freedesktop.secrets"),
        QStringLiteral("/org/freedesktop/secrets"), interface, method);
    message.setArguments(arguments);
    return QDBusConnection::sessionBus().call(message, QDBus::Block, 10'000);
}

inline QDBusObjectPath defaultCollection()
{
    const QDBusMessage reply = callSecretService(QStringLiteral("org.freedesktop.Secret.Service"),
        QStringLiteral("ReadAlias"), { QStringLiteral("default") });
    if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty())
        return {};
    return reply.arguments().constFirst().value<QDBusObjectPath>();
}

inline bool isLocked(const QDBusObjectPath &collection)
{
    QDBusMessage get = QDBusMessage::createMethodCall(QStringLiteral("org.freedesktop.secrets"),
        collection.path(), QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
    get << QStringLiteral("org.freedesktop.Secret.Collection") << QStringLiteral("Locked");
    const QDBusMessage reply = QDBusConnection::sessionBus().call(get, QDBus::Block, 10'000);
    return reply.type() == QDBusMessage::ReplyMessage && !reply.arguments().isEmpty()
        && reply.arguments().constFirst().value<QDBusVariant>().variant().toBool();
}

// The error text of the call that failed, empty when both worked.
inline QString lockKeychain()
{
    const QDBusMessage reply = callSecretService(QStringLiteral("org.freedesktop.Secret.Service"),
        QStringLiteral("Lock"), { QVariant::fromValue(QList<QDBusObjectPath> { defaultCollection() }) });
    return reply.type() == QDBusMessage::ReplyMessage ? QString()
                                                      : QStringLiteral("Lock: ") + reply.errorMessage();
}

inline QString unlockKeychain()
{
    qDBusRegisterMetaType<PlainSecret>();
    const QDBusMessage session
        = callSecretService(QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("OpenSession"),
            { QStringLiteral("plain"), QVariant::fromValue(QDBusVariant(QString())) });
    if (session.type() != QDBusMessage::ReplyMessage || session.arguments().size() != 2)
        return QStringLiteral("OpenSession: ") + session.errorMessage();
    const PlainSecret master { session.arguments().at(1).value<QDBusObjectPath>(), {},
        qgetenv("CANARY_TEST_KEYRING_PASSWORD"), QStringLiteral("text/plain") };
    const QDBusMessage unlock
        = callSecretService(QStringLiteral("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"),
            QStringLiteral("UnlockWithMasterPassword"),
            { QVariant::fromValue(defaultCollection()), QVariant::fromValue(master) });
    return unlock.type() == QDBusMessage::ReplyMessage
        ? QString()
        : QStringLiteral("UnlockWithMasterPassword: ") + unlock.errorMessage();
}

} // namespace canary::testing

Q_DECLARE_METATYPE(canary::testing::PlainSecret)
