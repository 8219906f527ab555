#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

// Response bodies and other inputs the tests read live in tests/data (provenance: tests/data/README.md), so a
// clone with nothing beside it passes its own tests.
namespace canary::testing {

// CANARY_TEST_DATA in the environment points a test at another folder: test_fixture_missing uses it to prove
// that a missing fixture fails the test instead of skipping it.
inline QString testDataDir()
{
    const QString override = qEnvironmentVariable("CANARY_TEST_DATA");
    return override.isEmpty() ? QStringLiteral(CANARY_TEST_DATA) : override;
}

// `relative` is below tests/data, e.g. "dynatrace/error_403_missing_scope.json".
inline QString testDataPath(const QString &relative)
{
    return testDataDir() + u'/' + relative;
}

// A fixture that cannot be read ends the test run with its path: a failure, never a vacuous pass or a skip.
inline QByteArray readTestData(const QString &relative)
{
    QFile file(testDataPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("fixture missing: %s (%s)", qPrintable(file.fileName()), qPrintable(file.errorString()));
    return file.readAll();
}

} // namespace canary::testing
