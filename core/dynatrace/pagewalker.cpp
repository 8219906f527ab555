#include "pagewalker.h"

#include <QTimer>

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

PageWalker::PageWalker(net::RestClient *rest, const QString &path, const net::QueryItems &repeated,
    const QObject *context, PageReader read, Finished done)
    : m_rest(rest)
    , m_path(path)
    , m_repeated(repeated)
    , m_context(context)
    , m_hasContext(context != nullptr)
    , m_read(std::move(read))
    , m_done(std::move(done))
{
    // Nobody is left to tell: stop fetching pages for them.
    if (context) {
        connect(context, &QObject::destroyed, this, [this] {
            m_done = nullptr;
            cancel();
        });
    }
}

PageWalker *PageWalker::start(net::RestClient *rest, const QString &path, const net::QueryItems &query,
    const net::QueryItems &repeated, const QObject *context, PageReader read, Finished done)
{
    auto *walker = new PageWalker(rest, path, repeated, context, std::move(read), std::move(done));
    if (!rest) {
        ApiError error;
        error.kind = ApiError::Kind::Transport;
        error.message = u"no connection configured"_s;
        // Queued, so a caller never sees its callback run before start() has returned.
        QTimer::singleShot(0, walker, [walker, error] { walker->finish(error); });
        return walker;
    }
    walker->request(query);
    return walker;
}

void PageWalker::request(const net::QueryItems &query)
{
    if (!m_rest) {
        finish(closedError());
        return;
    }
    m_awaiting = true;
    net::RestCall *call = m_rest->get(m_path, query);
    m_call = call;
    m_current = call;
    connect(call, &net::RestCall::finished, this, &PageWalker::onResponse);
    // The RestClient owns its calls: if it goes away mid-walk the call dies without finishing. Every call
    // is destroyed in the end, so only the one still awaited counts (compared, never dereferenced).
    connect(call, &QObject::destroyed, this, [this, call] {
        if (call == m_current)
            onCallDestroyed();
    });
}

void PageWalker::onResponse(const net::HttpResponse &response)
{
    m_awaiting = false;
    m_call = nullptr;
    m_current = nullptr;
    if (m_finished)
        return;
    if (!response.isSuccess()) {
        finish(errorFromResponse(response));
        return;
    }
    ++m_pages;
    const Expected<QString, ApiError> next = m_read(QByteArrayView(response.body));
    if (!next) {
        ApiError error = next.error();
        error.url = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
        error.httpStatus = response.status;
        finish(error);
        return;
    }
    const QString key = next.value();
    if (key.isEmpty()) {
        finish(std::nullopt);
        return;
    }
    if (key == m_lastKey || m_pages >= MaxPages) {
        ApiError error = ApiError::unexpectedShape(key == m_lastKey
                ? u"nextPageKey: the server handed out the same key twice"_s
                : u"nextPageKey: still more pages after %1; stopped"_s.arg(m_pages));
        error.url = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
        error.httpStatus = response.status;
        finish(error);
        return;
    }
    m_lastKey = key;
    net::QueryItems query { { u"nextPageKey"_s, key } };
    query.append(m_repeated);
    request(query);
}

void PageWalker::onCallDestroyed()
{
    m_current = nullptr;
    if (!m_awaiting || m_finished)
        return;
    m_awaiting = false;
    finish(closedError());
}

ApiError PageWalker::closedError() const
{
    ApiError error;
    error.kind = ApiError::Kind::Canceled;
    error.message = u"the connection was closed"_s;
    if (m_rest)
        error.url = net::buildUrl(m_rest->baseUrl(), m_path);
    return error;
}

void PageWalker::cancel()
{
    if (m_finished)
        return;
    if (m_call)
        m_call->cancel(); // answers synchronously with a Canceled response -> onResponse -> finish
    if (m_finished)
        return;
    ApiError error;
    error.kind = ApiError::Kind::Canceled;
    error.message = u"canceled"_s;
    finish(error);
}

void PageWalker::finish(std::optional<ApiError> error)
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_call) {
        m_call->disconnect(this);
        m_call->cancel();
    }
    Finished done = std::move(m_done);
    m_done = nullptr;
    if (done && (m_context || !m_hasContext))
        done(m_pages, error);
    deleteLater();
}

} // namespace canary::dynatrace
