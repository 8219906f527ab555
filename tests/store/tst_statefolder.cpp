#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include "rollback/rollbackjournal.h"
#include "rollback/rollbackstate.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/statefolder.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::rollback::RollbackJournal;
using canary::store::Database;
using canary::store::StateFolder;

namespace {

// The mode bits of `path` itself (a link is not followed); -1 when it does not exist.
int modeOf(const QString &path)
{
    struct stat status
    {
    };
    if (::lstat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

bool setMode(const QString &path, mode_t mode)
{
    return ::chmod(QFile::encodeName(path).constData(), mode) == 0;
}

// A umask for the length of a test, as a login shell sets it: files are made 0644 and folders 0755 unless
// asked otherwise.
class UmaskGuard
{
public:
    explicit UmaskGuard(mode_t mask)
        : m_previous(::umask(mask))
    { }
    ~UmaskGuard() { ::umask(m_previous); }
    UmaskGuard(const UmaskGuard &) = delete;
    UmaskGuard &operator=(const UmaskGuard &) = delete;

private:
    mode_t m_previous;
};

QString errorOf(const Expected<void, QString> &result)
{
    return result ? QString() : result.error();
}

} // namespace

class TestStateFolder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A new state folder is the owner's alone from the start, and so is every file the store and the journal
    // make in it, with the usual umask in effect.
    void newFolder_isOwnerOnly_andItsFilesAre0600AsSoonAsTheyExist()
    {
        const UmaskGuard umask(022);
        QTemporaryDir base;
        const QString folder = base.filePath(u"state"_s);
        const QString path = folder + u"/canary.db"_s;
        auto database = Database::open(path);
        QVERIFY2(database, qPrintable(database ? QString() : database.error()));
        QCOMPARE(modeOf(folder), 0700);
        // Write-ahead logging and the schema's first transaction have made all three.
        for (const QString &suffix : { QString(), u"-wal"_s, u"-shm"_s }) {
            QVERIFY2(modeOf(path + suffix) == 0600,
                qPrintable(u"%1: %2"_s.arg(path + suffix).arg(modeOf(path + suffix), 0, 8)));
        }
        // A second connection (another process) leaves them as they are.
        auto second = Database::open(path);
        QVERIFY(second);
        VirtualClock clock;
        store::AuditLog audit(**second, clock);
        QVERIFY(
            audit.append({ u"alice"_s, u"split.set"_s, u"sim"_s, {}, store::AuditResult::Requested, {} }));
        for (const QString &suffix : { QString(), u"-wal"_s, u"-shm"_s })
            QCOMPARE(modeOf(path + suffix), 0600);

        // The journal's first write, into a folder of its own that does not exist yet.
        const QString journalFolder = base.filePath(u"journal"_s);
        RollbackJournal journal(journalFolder + u"/rollback-journal.json"_s);
        QVERIFY2(journal.loadError().isEmpty(), qPrintable(journal.loadError()));
        rollback::RollbackState state;
        state.id = u"rollback-1"_s;
        const auto saved = journal.save(state);
        QVERIFY2(saved, qPrintable(errorOf(saved)));
        QCOMPARE(modeOf(journalFolder), 0700);
        QCOMPARE(modeOf(journal.path()), 0600);
        QCOMPARE(QDir(journalFolder).entryList(QDir::Files), QStringList { u"rollback-journal.json"_s });
        QCOMPARE(RollbackJournal(journal.path()).inFlight()->id, u"rollback-1"_s);
    }

    // A folder of ours others cannot write to is fine, whatever else may read it; an existing store that
    // others may read is narrowed to its owner.
    void ownFolderAt0755_isAccepted_andAReadableStoreIsNarrowed()
    {
        QTemporaryDir base;
        QVERIFY(setMode(base.path(), 0755));
        const QString path = base.filePath(u"canary.db"_s);
        Database::open(path).value().reset();
        QVERIFY(setMode(path, 0644));
        auto reopened = Database::open(path);
        QVERIFY2(reopened, qPrintable(reopened ? QString() : reopened.error()));
        QCOMPARE(modeOf(path), 0600);
        QCOMPARE(modeOf(base.path()), 0755);
        QVERIFY2(StateFolder::checkExisting(base.path()),
            qPrintable(errorOf(StateFolder::checkExisting(base.path()))));
    }

    void writableByOthers_isRefusedBeforeAnythingIsRead_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("whom");
        QTest::newRow("world-writable") << 0777 << u"others"_s;
        QTest::newRow("group-writable") << 0770 << u"its group"_s;
        QTest::newRow("sticky, like /tmp") << 01777 << u"others"_s;
    }

    void writableByOthers_isRefusedBeforeAnythingIsRead()
    {
        QFETCH(int, mode);
        QFETCH(QString, whom);
        QTemporaryDir base;
        const QString folder = base.filePath(u"state"_s);
        const QString path = folder + u"/canary.db"_s;
        Database::open(path).value().reset();
        QVERIFY(RollbackJournal(folder + u"/rollback-journal.json"_s).save({}));
        QVERIFY(setMode(folder, mode_t(mode)));

        const auto checked = StateFolder::checkExisting(folder);
        QVERIFY(!checked);
        // Where, whose, how open, and the fix.
        const QString modeText = u"%1"_s.arg(mode, 4, 8, QLatin1Char('0'));
        for (const QString &expected :
            { folder, u"uid %1"_s.arg(::geteuid()), modeText, whom, u"chmod go-w %1"_s.arg(folder) })
            QVERIFY2(checked.error().contains(expected), qPrintable(expected + u" in: "_s + checked.error()));

        const auto opened = Database::open(path);
        QVERIFY(!opened);
        QCOMPARE(opened.error(), checked.error());
        const auto read = Database::openReadOnly(path);
        QVERIFY(!read);
        QVERIFY2(read.error().contains(u"chmod go-w"_s), qPrintable(read.error()));
        const RollbackJournal journal(folder + u"/rollback-journal.json"_s);
        QVERIFY(journal.isUnsafe());
        QCOMPARE(journal.loadError(), checked.error());
        QVERIFY(!journal.inFlight());
        // Not tightened behind the operator's back: someone has to look at what may have been planted.
        QCOMPARE(modeOf(folder), mode);
        setMode(folder, 0700);
    }

    // The owner check takes the uid to expect, so it is seen without root: as root, 1 is someone else too.
    void folderOrFileOfAnotherUser_isRefused()
    {
        QTemporaryDir base;
        const uid_t someoneElse = ::geteuid() + 1;
        Database::open(base.filePath(u"canary.db"_s)).value().reset();
        QVERIFY(StateFolder::checkFolder(base.path()));

        const auto folder = StateFolder::checkFolder(base.path(), someoneElse);
        QVERIFY(!folder);
        QVERIFY2(folder.error().contains(base.path()) && folder.error().contains(u"belongs to"_s)
                && folder.error().contains(u"uid %1"_s.arg(::geteuid()))
                && folder.error().contains(u"uid %1"_s.arg(someoneElse))
                && folder.error().contains(u"chown"_s),
            qPrintable(folder.error()));
        const auto file = StateFolder::checkFile(base.filePath(u"canary.db"_s), someoneElse);
        QVERIFY(!file);
        QVERIFY2(
            file.error().contains(base.filePath(u"canary.db"_s)) && file.error().contains(u"belongs to"_s),
            qPrintable(file.error()));
        QVERIFY(!StateFolder::checkExisting(base.path(), someoneElse));
        QVERIFY(!StateFolder::create(base.path(), someoneElse));
        // Reading a kept copy accepts any owner, never a folder others may write to.
        QVERIFY(StateFolder::checkFolder(base.path(), StateFolder::AnyOwner));
        QVERIFY(setMode(base.path(), 0757));
        QVERIFY(!StateFolder::checkFolder(base.path(), StateFolder::AnyOwner));
        setMode(base.path(), 0700);
    }

    // A link could point at a file someone else wrote, or make SQLite write elsewhere.
    void symlinkedStoreOrJournal_isRefused()
    {
        QTemporaryDir elsewhere;
        QTemporaryDir state;
        const QString realDb = elsewhere.filePath(u"canary.db"_s);
        Database::open(realDb).value().reset();
        const QString db = state.filePath(u"canary.db"_s);
        QVERIFY(QFile::link(realDb, db));
        auto opened = Database::open(db);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(db) && opened.error().contains(u"symbolic link"_s),
            qPrintable(opened.error()));
        QVERIFY(!Database::openReadOnly(db));
        QVERIFY(!StateFolder::checkExisting(state.path()));
        QVERIFY(QFile::remove(db));

        // A link to a -wal: SQLite would read someone else's log into the store.
        Database::open(db).value().reset();
        QVERIFY(QFile::link(realDb, db + u"-wal"_s));
        opened = Database::open(db);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(db + u"-wal"_s), qPrintable(opened.error()));
        QVERIFY(QFile::remove(db + u"-wal"_s));

        const QString realJournal = elsewhere.filePath(u"rollback-journal.json"_s);
        rollback::RollbackState planted;
        planted.id = u"rollback-planted"_s;
        QVERIFY(RollbackJournal(realJournal).save(planted));
        const QString journalPath = state.filePath(u"rollback-journal.json"_s);
        QVERIFY(QFile::link(realJournal, journalPath));
        RollbackJournal journal(journalPath);
        QVERIFY(journal.isUnsafe());
        QVERIFY2(
            journal.loadError().contains(journalPath) && journal.loadError().contains(u"symbolic link"_s),
            qPrintable(journal.loadError()));
        QVERIFY(!journal.inFlight());
    }

    void aFileWhereTheFolderShouldBe_isRefused()
    {
        QTemporaryDir base;
        const QString folder = base.filePath(u"state"_s);
        QFile file(folder);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        const auto opened = Database::open(folder + u"/canary.db"_s);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(folder), qPrintable(opened.error()));
        const auto checked = StateFolder::checkExisting(folder);
        QVERIFY(!checked);
        QVERIFY2(checked.error().contains(u"not a folder"_s), qPrintable(checked.error()));
    }

    // One definition of where the state lives: the store and the journal agree.
    void storeAndJournal_resolveTheSameFolder()
    {
        QTemporaryDir base;
        qputenv("CANARY_STATE_DIR", QFile::encodeName(base.path()));
        QCOMPARE(StateFolder::path(), base.path());
        QCOMPARE(Database::defaultPath(), base.filePath(u"canary.db"_s));
        QCOMPARE(RollbackJournal::defaultPath(), base.filePath(u"rollback-journal.json"_s));
        qunsetenv("CANARY_STATE_DIR");
        QCOMPARE(QFileInfo(Database::defaultPath()).absolutePath(),
            QFileInfo(RollbackJournal::defaultPath()).absolutePath());
        QVERIFY(StateFolder::path().endsWith(u"/canary-console"_s));
    }
};

QTEST_GUILESS_MAIN(TestStateFolder)
#include "tst_statefolder.moc"
