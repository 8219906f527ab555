#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include "kubeerror.h"
#include "net/urlbuilder.h"
#include "objectref.h"

namespace canary::net {
class RestClient;
class RestStream;
struct HttpResponse;
} // namespace canary::net

namespace canary::kube {

// One event of a watch on one object, as far as the traffic back-end needs it: that the object changed
// (or only that the server got to `resourceVersion`, a BOOKMARK).
struct WatchEvent
{
    enum class Type { Added, Modified, Deleted, Bookmark };

    Type type = Type::Modified;
    QString resourceVersion; // opaque; where a new watch goes on from
};

// A watch of one object, as the API server serves it: GET on the collection with watch=1, a fieldSelector on
// the name, from a resourceVersion, with bookmarks, ended by the server after timeoutSeconds. The answer is
// one JSON event per line ({"type":"MODIFIED","object":{…}}), read as it arrives.
//
// ended() comes exactly once and nothing after it; the owner then deletes the watch (deleteLater: ended() may
// come from inside the network code). Deleting it earlier closes the stream without any signal.
class ObjectWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ObjectWatch)

public:
    enum class End {
        Expired, // the server closed the stream as it does after timeoutSeconds: go on from the last version
        Gone, // 410: the version is older than the server keeps; read the object again, then watch from there
        Failed, // no watch: refused (401, 403 without the watch verb), broken, or an answer that is no watch
    };
    Q_ENUM(End)

    // `resourceVersion` empty: from now on (the server starts with an ADDED of the object as it is).
    ObjectWatch(net::RestClient *rest, const ObjectRef &object, const QString &resourceVersion,
        int timeoutSeconds, QObject *parent = nullptr);
    ~ObjectWatch() override;

    // The collection path and query of the watch: what an API server expects for one object.
    static QString collectionPath(const ObjectRef &object);
    static net::QueryItems query(const ObjectRef &object, const QString &resourceVersion, int timeoutSeconds);

    bool isOpen() const { return m_open; }
    // How many changes (ADDED, MODIFIED, DELETED; not bookmarks, which only move the version) the stream has
    // delivered: a stream that ends with none made no progress.
    int eventCount() const { return m_events; }

Q_SIGNALS:
    // The server accepted the watch (a 2xx head).
    void opened();
    void eventReceived(const canary::kube::WatchEvent &event);
    // `error` says why for Failed (and what the server said for Gone).
    void ended(canary::kube::ObjectWatch::End end, const canary::kube::KubeError &error);

private:
    void onData(const QByteArray &bytes);
    void onFinished(const net::HttpResponse &response);
    // false: the line ended the watch.
    bool readLine(const QByteArray &line);
    void end(End how, KubeError error);
    KubeError garbage(const QString &why) const;

    QPointer<net::RestStream> m_stream;
    ObjectRef m_object;
    QByteArray m_buffer;
    int m_events = 0;
    bool m_open = false;
    bool m_ended = false;
};

} // namespace canary::kube

Q_DECLARE_METATYPE(canary::kube::WatchEvent)
