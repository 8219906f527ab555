#pragma once

#include <QStringList>

#include "clusterconnection.h"
#include "util/expected.h"

namespace canary::kube {

// kubeconfig files as kubectl reads them: a list of files merged in order (the first file to set a key wins),
// a context chosen by name or by current-context, and its cluster and user entries. Token, tokenFile and
// client certificate users are supported; exec-plugin, auth-provider and username/password users are refused
// with a message that says what to use instead.
class Kubeconfig
{
public:
    // The files kubectl would read: $KUBECONFIG split at ':' (';' on Windows), empty entries dropped, or
    // <home>/.kube/config when the variable is empty.
    static QStringList searchPath(const QString &kubeconfigVariable, const QString &homeDir);

    // Reads `files` in order, skipping those that do not exist (as kubectl does), and resolves `context`
    // (empty: current-context). Relative paths in an entry are relative to the file that defined it.
    static Expected<ClusterConnection, QString> resolve(
        const QStringList &files, const QString &context = {});

    // resolve() over searchPath($KUBECONFIG, $HOME).
    static Expected<ClusterConnection, QString> fromEnvironment(const QString &context = {});
};

} // namespace canary::kube
