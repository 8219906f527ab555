#include "objectwatch.h"

#include <nlohmann/json.hpp>

#include "net/httpresponse.h"
#include "net/restclient.h"
#include "net/reststream.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

// A watch line is one object; anything this long without a newline is not a watch.
constexpr qsizetype MaxLineBytes = 16 * 1024 * 1024;
// The server ends the stream after timeoutSeconds; a stream silent well past that died on the way.
constexpr int SilenceGraceMs = 30'000;

QString stringAt(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

} // namespace

ObjectWatch::ObjectWatch(net::RestClient *rest, const ObjectRef &object, const QString &resourceVersion,
    int timeoutSeconds, QObject *parent)
    : QObject(parent)
    , m_object(object)
{
    m_stream = rest->stream(collectionPath(object), query(object, resourceVersion, timeoutSeconds),
        timeoutSeconds * 1000 + SilenceGraceMs);
    connect(m_stream, &net::RestStream::opened, this, [this](int status) {
        if (status < 200 || status >= 300)
            return; // the error body comes with finished()
        m_open = true;
        Q_EMIT opened();
    });
    connect(m_stream, &net::RestStream::data, this, &ObjectWatch::onData);
    connect(m_stream, &net::RestStream::finished, this, &ObjectWatch::onFinished);
}

ObjectWatch::~ObjectWatch()
{
    if (m_stream) {
        m_stream->disconnect(this);
        delete m_stream.data();
    }
}

QString ObjectWatch::collectionPath(const ObjectRef &object)
{
    Q_ASSERT(!object.namespaceName.isEmpty());
    return u"/apis/%1/namespaces/%2/%3"_s.arg(object.apiVersion(), object.namespaceName, object.resource());
}

net::QueryItems ObjectWatch::query(
    const ObjectRef &object, const QString &resourceVersion, int timeoutSeconds)
{
    net::QueryItems items { { u"watch"_s, u"1"_s },
        { u"fieldSelector"_s, u"metadata.name="_s + object.name } };
    if (!resourceVersion.isEmpty())
        items.append({ u"resourceVersion"_s, resourceVersion });
    items.append({ u"allowWatchBookmarks"_s, u"true"_s });
    items.append({ u"timeoutSeconds"_s, QString::number(timeoutSeconds) });
    return items;
}

KubeError ObjectWatch::garbage(const QString &why) const
{
    KubeError error;
    error.kind = KubeError::Kind::UnexpectedShape;
    error.httpStatus = m_stream ? m_stream->status() : 0;
    error.message = u"the watch answered something that is not a watch event: "_s + why;
    error.detail = m_object.displayName();
    return error;
}

void ObjectWatch::onData(const QByteArray &bytes)
{
    if (m_ended)
        return;
    m_buffer += bytes;
    qsizetype start = 0;
    for (qsizetype newline = m_buffer.indexOf('\n'); newline >= 0; newline = m_buffer.indexOf('\n', start)) {
        const QByteArray line = m_buffer.mid(start, newline - start);
        start = newline + 1;
        if (!readLine(line))
            return;
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > MaxLineBytes)
        end(End::Failed, garbage(u"a line of more than %1 bytes"_s.arg(MaxLineBytes)));
}

bool ObjectWatch::readLine(const QByteArray &line)
{
    if (line.trimmed().isEmpty())
        return true;
    const auto doc = nlohmann::json::parse(line.cbegin(), line.cend(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        end(End::Failed, garbage(u"a line that is not a JSON object"_s));
        return false;
    }
    const QString type = stringAt(doc, "type");
    const auto object = doc.find("object");
    if (object == doc.end() || !object->is_object()) {
        end(End::Failed, garbage(u"an event without an object"_s));
        return false;
    }
    if (type == u"ERROR"_s) {
        // The object is a Status; 410 is the API server's "too old resource version" (reason Expired or
        // Gone).
        KubeError error;
        const auto code = object->find("code");
        error.httpStatus = code != object->end() && code->is_number_integer() ? code->get<int>() : 0;
        error.kind = error.httpStatus ? errorKindForStatus(error.httpStatus) : KubeError::Kind::ServerError;
        error.message = stringAt(*object, "message");
        if (error.message.isEmpty())
            error.message = u"the watch ended with an error (%1)"_s.arg(stringAt(*object, "reason"));
        error.detail = m_object.displayName();
        end(error.httpStatus == 410 ? End::Gone : End::Failed, error);
        return false;
    }
    WatchEvent event;
    if (type == u"ADDED"_s)
        event.type = WatchEvent::Type::Added;
    else if (type == u"MODIFIED"_s)
        event.type = WatchEvent::Type::Modified;
    else if (type == u"DELETED"_s)
        event.type = WatchEvent::Type::Deleted;
    else if (type == u"BOOKMARK"_s)
        event.type = WatchEvent::Type::Bookmark;
    else {
        end(End::Failed, garbage(u"an event of type '%1'"_s.arg(type.left(40))));
        return false;
    }
    const auto metadata = object->find("metadata");
    event.resourceVersion = metadata != object->end() ? stringAt(*metadata, "resourceVersion") : QString();
    if (event.type != WatchEvent::Type::Bookmark && metadata != object->end()
        && stringAt(*metadata, "name") != m_object.name)
        return true; // a server that ignored the fieldSelector: someone else's object
    if (event.type != WatchEvent::Type::Bookmark)
        ++m_events;
    QPointer<ObjectWatch> alive(this);
    Q_EMIT eventReceived(event);
    return alive && !m_ended;
}

void ObjectWatch::onFinished(const net::HttpResponse &response)
{
    m_stream = nullptr; // it deletes itself
    if (m_ended)
        return;
    if (response.failure != net::HttpResponse::Failure::None) {
        end(End::Failed, errorFromResponse(response, m_object));
        return;
    }
    if (response.status == 410) {
        end(End::Gone, errorFromResponse(response, m_object));
        return;
    }
    if (response.status < 200 || response.status >= 300) {
        end(End::Failed, errorFromResponse(response, m_object));
        return;
    }
    // The last event may come without its newline.
    if (!m_buffer.trimmed().isEmpty() && !readLine(std::exchange(m_buffer, {})))
        return;
    if (m_ended)
        return;
    end(End::Expired, {});
}

void ObjectWatch::end(End how, KubeError error)
{
    if (m_ended)
        return;
    m_ended = true;
    m_open = false;
    if (m_stream) {
        m_stream->disconnect(this);
        m_stream->cancel();
        m_stream = nullptr;
    }
    Q_EMIT ended(how, error);
}

} // namespace canary::kube
