#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QStringList>
#include <QTest>

namespace canary::testing {

struct Run
{
    int exitCode = -1; // -1: it crashed
    QByteArray out;
    QByteArray err;
};

// Runs canaryctl (CANARYCTL_PATH) with `input` on its stdin, then closes it, while this process keeps
// serving the simulator: QTRY spins the event loop.
inline Run canaryctl(
    const QStringList &arguments, const QProcessEnvironment &environment, const QByteArray &input = {})
{
    QProcess process;
    process.setProcessEnvironment(environment);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(QStringLiteral(CANARYCTL_PATH), arguments);
    if (!process.waitForStarted(10'000))
        qFatal("canaryctl did not start");
    process.write(input);
    process.closeWriteChannel();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60'000); }();
    return { process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
        process.readAllStandardOutput(), process.readAllStandardError() };
}

} // namespace canary::testing
