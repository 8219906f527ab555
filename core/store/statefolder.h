#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <QString>
#include <QStringList>

#include "util/expected.h"

namespace canary::store {

// The one folder the console keeps its state in (the store, the rollback journal), resolved, created and
// checked in one place. What is in it is acted on with the operator's credentials: a rollback in flight is
// resumed, records are sent to Dynatrace with the operator's token. So whoever can write there can act as the
// operator, and a folder or file someone else could have written is refused before anything in it is read:
// not a folder, not owned by the effective user, writable by its group or by others; for a file, also a
// symbolic link (it could point anywhere). A folder of ours at 0755 is fine: nobody else can write to it.
//
// `owner` is the uid the folder and its files must belong to: the effective user's by default; tests pass
// another to see the refusal without root. AnyOwner accepts any owner (reading a copy someone kept for the
// audit trail, which acts on nothing); the other checks still hold.
class StateFolder
{
public:
    static constexpr uid_t AnyOwner = uid_t(-1);

    // $CANARY_STATE_DIR, else QStandardPaths::GenericDataLocation + "/canary-console".
    static QString path();
    // The files in it that the console reads: canary.db with its -wal and -shm, rollback-journal.json.
    static QStringList knownFiles();

    // Makes `dir` owner-only (mkdir 0700: it never exists wider; parents as usual) unless it exists, then
    // checkFolder(). The error names the folder.
    static Expected<void, QString> create(const QString &dir, uid_t owner = ::geteuid());
    // Refuses `dir` when it is not a folder, not owned by `owner`, or writable by its group or others. The
    // message names the folder, its owner and mode, and the fix.
    static Expected<void, QString> checkFolder(const QString &dir, uid_t owner = ::geteuid());
    // Refuses `file` when it is a symbolic link or not a regular file, not owned by `owner`, or writable by
    // its group or others. A file that does not exist is fine.
    static Expected<void, QString> checkFile(const QString &file, uid_t owner = ::geteuid());
    // checkFolder(`dir`), then checkFile() on each of knownFiles() in it; a folder that does not exist yet is
    // fine (it is made 0700 when first written).
    static Expected<void, QString> checkExisting(const QString &dir, uid_t owner = ::geteuid());
};

} // namespace canary::store
