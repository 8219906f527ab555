#include "profilestore.h"

#include <algorithm>
#include <utility>

#include <QList>
#include <QSettings>
#include <QVariant>

#include "profilefile.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

namespace {

const QString ProfilesGroup = u"profiles"_s;

QString groupOf(const QString &name)
{
    return ProfilesGroup + u'/' + name;
}

bool isDemoName(const QString &name)
{
    Profile profile;
    profile.name = name.trimmed();
    return profile.isDemo();
}

QString statusText(QSettings::Status status)
{
    switch (status) {
    case QSettings::NoError:
        return u"no error"_s;
    case QSettings::AccessError:
        return u"access denied or the disk is full"_s;
    case QSettings::FormatError:
        return u"the file is not in the expected format"_s;
    }
    return u"unknown error"_s;
}

// The group's values exactly as stored, to move or restore them.
QList<std::pair<QString, QVariant>> rawValues(QSettings &settings, const QString &group)
{
    QList<std::pair<QString, QVariant>> values;
    settings.beginGroup(group);
    for (const QString &key : settings.allKeys())
        values.append({ key, settings.value(key) });
    settings.endGroup();
    return values;
}

void writeRawValues(
    QSettings &settings, const QString &group, const QList<std::pair<QString, QVariant>> &values)
{
    settings.beginGroup(group);
    for (const auto &[key, value] : values)
        settings.setValue(key, value);
    settings.endGroup();
}

// The profile's keys in its group, all at once; `name` is the group.
void writeProfile(QSettings &settings, const Profile &profile)
{
    settings.remove(groupOf(profile.name));
    settings.beginGroup(groupOf(profile.name));
    const QList<ProfileEntry> entries = profileEntries(profile);
    for (const QString &key : profileKeys()) {
        if (key == u"name"_s)
            continue;
        QStringList values;
        for (const ProfileEntry &entry : entries) {
            if (entry.key == key)
                values.append(entry.value);
        }
        if (isRepeatableKey(key)) {
            if (!values.isEmpty())
                settings.setValue(key, values);
        } else {
            settings.setValue(key, values.value(0));
        }
    }
    settings.endGroup();
}

} // namespace

ProfileStore::ProfileStore()
    : m_owned(std::make_unique<QSettings>(
        QSettings::NativeFormat, QSettings::UserScope, u"canary-console"_s, u"profiles"_s))
    , m_settings(m_owned.get())
{ }

ProfileStore::ProfileStore(QSettings *settings)
    : m_settings(settings)
{
    Q_ASSERT(settings);
}

ProfileStore::ProfileStore(const QString &iniFile)
    : m_owned(std::make_unique<QSettings>(iniFile, QSettings::IniFormat))
    , m_settings(m_owned.get())
{ }

ProfileStore::~ProfileStore() = default;

QString ProfileStore::location() const
{
    return m_settings->fileName();
}

QStringList ProfileStore::storedNames() const
{
    m_settings->beginGroup(ProfilesGroup);
    QStringList names = m_settings->childGroups();
    m_settings->endGroup();
    names.removeIf([](const QString &name) { return isDemoName(name); });
    std::sort(names.begin(), names.end(), [](const QString &a, const QString &b) {
        const int order = a.compare(b, Qt::CaseInsensitive);
        return order != 0 ? order < 0 : a < b;
    });
    return names;
}

QString ProfileStore::storedName(const QString &name) const
{
    const QStringList names = storedNames();
    if (names.contains(name))
        return name;
    for (const QString &stored : names) {
        if (stored.compare(name, Qt::CaseInsensitive) == 0)
            return stored;
    }
    return {};
}

QStringList ProfileStore::names() const
{
    return QStringList { Profile::demoName() } + storedNames();
}

bool ProfileStore::contains(const QString &name) const
{
    return isDemoName(name) || !storedName(name).isEmpty();
}

Expected<Profile, QStringList> ProfileStore::read(const QString &name) const
{
    if (isDemoName(name))
        return Profile::demo();
    const QString stored = storedName(name);
    if (stored.isEmpty())
        return QStringList { u"no profile named '%1'"_s.arg(name) };

    QList<ProfileEntry> entries;
    m_settings->beginGroup(groupOf(stored));
    for (const QString &key : m_settings->childKeys()) {
        if (key == u"name"_s) // the group is the name
            continue;
        const QVariant value = m_settings->value(key);
        if (isRepeatableKey(key)) {
            for (const QString &item : value.toStringList()) {
                if (!item.trimmed().isEmpty())
                    entries.append({ key, item.trimmed(), 0 });
            }
        } else if (value.typeId() == QMetaType::QStringList) { // a hand-edited value with an unquoted comma
            entries.append({ key, value.toStringList().join(u", "_s), 0 });
        } else {
            entries.append({ key, value.toString().trimmed(), 0 });
        }
    }
    m_settings->endGroup();

    EntryOptions options;
    options.defaultName = stored;
    options.ignoreUnknownKeys = true; // written by a newer version
    return profileFromEntries(entries, u"%1 [%2]"_s.arg(location(), groupOf(stored)), options);
}

std::optional<Profile> ProfileStore::load(const QString &name) const
{
    auto profile = read(name);
    if (!profile)
        return std::nullopt;
    return std::move(profile).value();
}

ProfileStore::Result ProfileStore::nameProblems(const QString &name) const
{
    if (isDemoName(name))
        return QStringList { u"'%1' is the built-in profile's name: choose another"_s.arg(name) };
    Profile profile;
    profile.name = name;
    QStringList problems;
    for (const ProfileProblem &problem : profile.problems()) {
        if (problem.key == u"name"_s)
            problems.append(problem.message);
    }
    if (!problems.isEmpty())
        return problems;
    return std::monostate {};
}

ProfileStore::Result ProfileStore::commit(const std::function<void(QSettings &)> &change)
{
    const auto refused = [this](const QString &why) {
        return QStringList { u"cannot save the profiles in %1: %2; nothing was saved"_s.arg(
            location(), why) };
    };
    if (!m_settings->isWritable())
        return refused(u"it is read-only"_s);
    if (m_settings->status() != QSettings::NoError) // e.g. a file that cannot be parsed: do not overwrite it
        return refused(statusText(m_settings->status()));

    const auto before = rawValues(*m_settings, ProfilesGroup);
    change(*m_settings);
    m_settings->sync();
    if (m_settings->status() == QSettings::NoError)
        return std::monostate {};

    // Put the settings back as they were, so that no later sync writes half of this change.
    const QSettings::Status status = m_settings->status();
    m_settings->remove(ProfilesGroup);
    writeRawValues(*m_settings, ProfilesGroup, before);
    return refused(statusText(status));
}

ProfileStore::Result ProfileStore::save(const Profile &input)
{
    const Profile profile = input.normalised();
    if (profile.isDemo())
        return QStringList { u"'%1' is the built-in profile: it cannot be changed; duplicate it under "
                             "another name"_s.arg(profile.name) };
    const QStringList problems = profile.validate();
    if (!problems.isEmpty())
        return problems;
    const QString existing = storedName(profile.name);
    if (!existing.isEmpty() && existing != profile.name)
        return QStringList {
            u"a profile named '%1' already exists (names are compared regardless of case)"_s.arg(existing)
        };
    return commit([&profile](QSettings &settings) { writeProfile(settings, profile); });
}

ProfileStore::Result ProfileStore::remove(const QString &name)
{
    if (isDemoName(name))
        return QStringList { u"the built-in Demo profile cannot be removed"_s };
    const QString stored = storedName(name);
    if (stored.isEmpty())
        return QStringList { u"no profile named '%1'"_s.arg(name) };
    return commit([&stored](QSettings &settings) { settings.remove(groupOf(stored)); });
}

ProfileStore::Result ProfileStore::duplicate(const QString &from, const QString &to)
{
    const auto source = read(from);
    if (!source)
        return source.error();
    const auto valid = nameProblems(to);
    if (!valid)
        return valid;
    const QString existing = storedName(to);
    if (!existing.isEmpty())
        return QStringList { u"a profile named '%1' already exists"_s.arg(existing) };
    Profile copy = source.value();
    copy.name = to;
    return save(copy);
}

ProfileStore::Result ProfileStore::rename(const QString &from, const QString &to)
{
    if (isDemoName(from))
        return QStringList { u"the built-in Demo profile cannot be renamed: duplicate it instead"_s };
    const QString stored = storedName(from);
    if (stored.isEmpty())
        return QStringList { u"no profile named '%1'"_s.arg(from) };
    const auto valid = nameProblems(to);
    if (!valid)
        return valid;
    const QString existing = storedName(to);
    if (!existing.isEmpty() && existing != stored)
        return QStringList { u"a profile named '%1' already exists"_s.arg(existing) };
    if (to == stored)
        return std::monostate {};
    return commit([&stored, &to](QSettings &settings) {
        // Read, remove, then write: a change of case only must not lose the group on a settings back-end
        // whose keys ignore case.
        const auto values = rawValues(settings, groupOf(stored));
        settings.remove(groupOf(stored));
        writeRawValues(settings, groupOf(to), values);
    });
}

} // namespace canary::profile
