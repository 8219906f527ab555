#include "objectref.h"

#include <algorithm>

#include <QRegularExpression>
#include <QStringList>

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

struct KindInfo
{
    ObjectRef::Kind kind;
    QStringList words; // singular, plural and kubectl's short name
};

const QList<KindInfo> &kinds()
{
    static const QList<KindInfo> list {
        { ObjectRef::Kind::Ingress, { u"ingress"_s, u"ingresses"_s, u"ing"_s } },
        { ObjectRef::Kind::TraefikService, { u"traefikservice"_s, u"traefikservices"_s } },
        { ObjectRef::Kind::HttpRoute, { u"httproute"_s, u"httproutes"_s } },
    };
    return list;
}

const KindInfo &infoOf(ObjectRef::Kind kind)
{
    return *std::find_if(
        kinds().cbegin(), kinds().cend(), [kind](const KindInfo &info) { return info.kind == kind; });
}

// Groups a kind is served under, the default first.
QStringList groupsOf(ObjectRef::Kind kind)
{
    switch (kind) {
    case ObjectRef::Kind::Ingress:
        return { u"networking.k8s.io"_s };
    case ObjectRef::Kind::TraefikService:
        return { u"traefik.io"_s, u"traefik.containo.us"_s };
    case ObjectRef::Kind::HttpRoute:
        return { u"gateway.networking.k8s.io"_s };
    }
    return {};
}

// RFC 1123 label (namespaces) and subdomain (object names), as the API server validates them.
bool isDnsLabel(const QString &text)
{
    static const QRegularExpression label(u"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"_s);
    return text.size() <= 63 && label.match(text).hasMatch();
}

bool isDnsSubdomain(const QString &text)
{
    static const QRegularExpression subdomain(
        u"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"_s);
    return text.size() <= 253 && subdomain.match(text).hasMatch();
}

QString knownForms()
{
    return u"ingress/NAMESPACE/NAME, traefikservice/NAMESPACE/NAME or httproute/NAMESPACE/NAME"_s;
}

} // namespace

Expected<ObjectRef, QString> ObjectRef::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    const QStringList parts = trimmed.split(u'/');
    if (trimmed.isEmpty() || parts.size() < 2 || parts.size() > 3)
        return u"'%1' is not an object reference: use %2"_s.arg(text, knownForms());

    // "traefikservices.traefik.containo.us": the kind word up to the first dot, the group after it.
    const QString kindPart = parts.front().toLower();
    const qsizetype dot = kindPart.indexOf(u'.');
    const QString word = dot < 0 ? kindPart : kindPart.left(dot);
    const QString group = dot < 0 ? QString() : kindPart.mid(dot + 1);

    ObjectRef ref;
    const auto info = std::find_if(kinds().cbegin(), kinds().cend(),
        [&](const KindInfo &candidate) { return candidate.words.contains(word); });
    if (info == kinds().cend()) {
        return u"'%1' is not a kind that holds a traffic split (in '%2'): use %3"_s.arg(
            parts.front(), text, knownForms());
    }
    ref.kind = info->kind;
    if (!group.isEmpty()) {
        const QStringList groups = groupsOf(ref.kind);
        if (!groups.contains(group)) {
            return u"%1 is not served by API group '%2' (in '%3'): use %4"_s.arg(
                keyword(ref.kind), group, text, groups.join(u" or "_s));
        }
        if (group != defaultGroup(ref.kind))
            ref.group = group;
    }

    if (parts.size() == 3)
        ref.namespaceName = parts.at(1);
    ref.name = parts.back();
    if (parts.size() == 3 && !isDnsLabel(ref.namespaceName)) {
        return u"'%1' is not a valid namespace (in '%2'): lower-case letters, digits and '-', at most 63"_s
            .arg(ref.namespaceName, text);
    }
    if (!isDnsSubdomain(ref.name)) {
        return u"'%1' is not a valid object name (in '%2'): lower-case letters, digits, '-' and '.', at most 253"_s
            .arg(ref.name, text);
    }
    return ref;
}

QString ObjectRef::defaultGroup(Kind kind)
{
    return groupsOf(kind).front();
}

QString ObjectRef::keyword(Kind kind)
{
    return infoOf(kind).words.front();
}

QString ObjectRef::apiVersion() const
{
    // Each group serves these kinds at one version that every supported release still has.
    const QString version = kind == Kind::TraefikService ? u"v1alpha1"_s : u"v1"_s;
    return apiGroup() + u'/' + version;
}

QString ObjectRef::kindName() const
{
    switch (kind) {
    case Kind::Ingress:
        return u"Ingress"_s;
    case Kind::TraefikService:
        return u"TraefikService"_s;
    case Kind::HttpRoute:
        return u"HTTPRoute"_s;
    }
    return {};
}

QString ObjectRef::resource() const
{
    return infoOf(kind).words.at(1);
}

QString ObjectRef::apiPath() const
{
    Q_ASSERT(!namespaceName.isEmpty());
    return u"/apis/%1/namespaces/%2/%3/%4"_s.arg(apiVersion(), namespaceName, resource(), name);
}

QString ObjectRef::displayName() const
{
    return keyword(kind) + u' ' + (namespaceName.isEmpty() ? name : namespaceName + u'/' + name);
}

QString ObjectRef::toString() const
{
    QString text = keyword(kind);
    if (!group.isEmpty() && group != defaultGroup(kind))
        text += u'.' + group;
    if (!namespaceName.isEmpty())
        text += u'/' + namespaceName;
    return text + u'/' + name;
}

} // namespace canary::kube
