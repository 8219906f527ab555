#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include <QByteArray>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTimer>

#include "simfixture.h"

// Issue 18's harness: the real canaryctl, several at once, each with a deadline, against an in-process
// simulator (this process keeps serving it while it waits: every wait runs the event loop).
namespace canary::reliability {

// canaryctl's exit codes (app/canaryctl/commands.h), as scripts see them.
namespace exitcode {
constexpr int Ok = 0;
constexpr int ApiOrData = 4;
constexpr int NoPlan = 5;
constexpr int Refused = 6;
constexpr int LaunchFailed = 7;
constexpr int JobFailed = 8;
constexpr int NotVerified = 9;
constexpr int Busy = 12; // another process holds the target, named in the message
constexpr int StoreUnusable = 13; // locked, read-only, full or damaged: nothing was judged or done
constexpr int Unknown = 14; // the answer was lost and reading back could not tell
} // namespace exitcode

// How one child ended.
struct Outcome
{
    QStringList arguments;
    qint64 pid = 0;
    int exitCode = -1; // -1: it crashed or was killed at its deadline
    bool overran = false; // still running at its deadline (then killed), or ended after it
    qint64 elapsedMs = 0; // from its start to its end (to the kill when it overran)
    QByteArray out;
    QByteArray err;

    QString summary() const
    {
        return QStringLiteral("`canaryctl %1` (pid %2): %3 after %4 ms; stderr: %5")
            .arg(arguments.join(u' '))
            .arg(pid)
            .arg(overran ? QStringLiteral("OVERRAN its deadline") : QStringLiteral("exit %1").arg(exitCode))
            .arg(elapsedMs)
            .arg(QString::fromUtf8(err.trimmed()));
    }
};

// canaryctl processes started now and waited for together, each within its own deadline.
class Children
{
public:
    explicit Children(QProcessEnvironment environment)
        : m_environment(std::move(environment))
    { }
    Children(const Children &) = delete;
    Children &operator=(const Children &) = delete;
    ~Children()
    {
        for (const auto &child : m_children) {
            if (child->process.state() != QProcess::NotRunning) {
                child->process.kill();
                child->process.waitForFinished(5'000);
            }
        }
    }

    // Runs in the child between fork and exec, for the next start() only (signal dispositions, limits).
    void setChildModifier(std::function<void()> modifier) { m_modifier = std::move(modifier); }

    // Starts one canaryctl; returns its pid (0: it did not start, which its outcome reports as a crash).
    qint64 start(const QStringList &arguments)
    {
        auto child = std::make_unique<Child>();
        Child *started = child.get();
        started->arguments = arguments;
        started->process.setProcessEnvironment(m_environment);
        if (m_modifier)
            started->process.setChildProcessModifier(std::exchange(m_modifier, {}));
        QObject::connect(&started->process, &QProcess::finished, &started->process,
            [started] { started->endedMs = started->clock.elapsed(); });
        started->clock.start();
        started->process.start(QStringLiteral(CANARYCTL_PATH), arguments);
        if (started->process.waitForStarted(10'000))
            started->pid = started->process.processId();
        m_children.push_back(std::move(child));
        return started->pid;
    }

    int running() const
    {
        return int(std::count_if(m_children.cbegin(), m_children.cend(),
            [](const auto &child) { return child->process.state() != QProcess::NotRunning; }));
    }

    // Waits until every child has ended or passed `deadlineMs` from its own start, running the event loop;
    // kills those still running then. The outcomes, in the order of start().
    QList<Outcome> finish(qint64 deadlineMs)
    {
        QEventLoop loop;
        QTimer deadline;
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
        qint64 longest = 0;
        for (const auto &child : m_children) {
            longest = std::max(longest, deadlineMs - child->clock.elapsed());
            QObject::connect(&child->process, &QProcess::finished, &loop, [this, &loop] {
                if (running() == 0)
                    loop.quit();
            });
        }
        if (running() > 0 && longest > 0) {
            deadline.start(int(longest));
            loop.exec();
        }
        QList<Outcome> outcomes;
        for (const auto &child : m_children) {
            Outcome outcome;
            outcome.arguments = child->arguments;
            outcome.pid = child->pid;
            if (child->process.state() != QProcess::NotRunning) {
                outcome.overran = true;
                outcome.elapsedMs = child->clock.elapsed();
                child->process.kill();
                child->process.waitForFinished(5'000);
            } else {
                outcome.elapsedMs = child->endedMs >= 0 ? child->endedMs : child->clock.elapsed();
                outcome.overran = outcome.elapsedMs > deadlineMs;
                if (child->pid != 0 && child->process.exitStatus() == QProcess::NormalExit)
                    outcome.exitCode = child->process.exitCode();
            }
            outcome.out = child->process.readAllStandardOutput();
            outcome.err = child->process.readAllStandardError();
            outcomes.append(outcome);
        }
        m_children.clear();
        return outcomes;
    }

private:
    struct Child
    {
        QStringList arguments;
        QProcess process;
        QElapsedTimer clock;
        qint64 endedMs = -1;
        qint64 pid = 0;
    };

    QProcessEnvironment m_environment;
    std::function<void()> m_modifier;
    std::vector<std::unique_ptr<Child>> m_children;
};

// One canaryctl, waited for within `deadlineMs`.
inline Outcome runOne(const QProcessEnvironment &environment, const QStringList &arguments, qint64 deadlineMs)
{
    Children children(environment);
    children.start(arguments);
    return children.finish(deadlineMs).constFirst();
}

// canaryctl's environment against the fixture's simulator (Dynatrace, the split, AWX) with `stateDir` as
// its state folder; nothing of the caller's own Dynatrace settings leaks in.
inline QProcessEnvironment environmentFor(canary::testing::SimFixture &fixture, const QString &stateDir)
{
    auto environment = QProcessEnvironment::systemEnvironment();
    for (const char *name : { "DYNATRACE_ENV_URL", "DYNATRACE_API_TOKEN", "CONTROLLER_USERNAME",
             "CONTROLLER_PASSWORD", "KUBECONFIG", "KUBE_TOKEN", "CANARY_ALLOWED_ORIGINS" })
        environment.remove(QString::fromLatin1(name));
    environment.insert(QStringLiteral("DT_ENV_URL"), fixture.environment->baseUrl().toString());
    environment.insert(QStringLiteral("DT_API_TOKEN"), fixture.environment->token());
    environment.insert(QStringLiteral("CONTROLLER_OAUTH_TOKEN"), fixture.environment->token());
    environment.insert(QStringLiteral("CANARY_STATE_DIR"), stateDir);
    return environment;
}

// The audit log as `canaryctl audit list --json` prints it; empty when it could not be read.
inline QJsonArray auditRows(const QProcessEnvironment &environment)
{
    const Outcome list = runOne(
        environment, { QStringLiteral("audit"), QStringLiteral("list"), QStringLiteral("--json") }, 30'000);
    return list.exitCode == 0 ? QJsonDocument::fromJson(list.out).array() : QJsonArray();
}

inline QList<QJsonObject> rowsOf(
    const QJsonArray &rows, const QString &operatorName, const QString &actionPrefix)
{
    QList<QJsonObject> matching;
    for (const auto &value : rows) {
        const QJsonObject row = value.toObject();
        if (row[u"operator"].toString() == operatorName && row[u"action"].toString().startsWith(actionPrefix))
            matching.append(row);
    }
    return matching;
}

inline QString splitText(int canary)
{
    return QStringLiteral("%1/%2").arg(100 - canary).arg(canary);
}

} // namespace canary::reliability
