// canary-console: the operator's window. With no Dynatrace URL (no flag, no profile naming one) it runs the
// simulated canary environment in-process on 127.0.0.1 and talks to it over real HTTP, exactly as to a
// tenant.
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QTextStream>

#include "console/console.h"
#include "console/consolecontroller.h"
#include "console/consoleoptions.h"
#include "mainwindow.h"
#include "net/redaction.h"
#include "profile/profilestore.h"
#include "secrets/processguard.h"
#include "secrets/secretstore.h"
#include "sim/embeddeddemo.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

// Said on stderr and in a box; the box is not modal-looped, the app exits once it is closed.
void fail(const QString &message, int code)
{
    QTextStream(stderr) << "canary-console: " << message << '\n';
    auto *box = new QMessageBox(QMessageBox::Critical, u"Canary Console"_s, message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(box, &QMessageBox::finished, qApp, [code] { QCoreApplication::exit(code); });
    box->open();
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceMain;
    sinceMain.start();
    QApplication app(argc, argv);
    // Every log line, of every category, loses its secrets before it is written anywhere.
    canary::net::installRedactingMessageHandler();
    // ... and a crash leaves no core file holding the tokens in memory.
    canary::secrets::protectCrashOutput();
    QApplication::setApplicationName(u"canary-console"_s);
    QApplication::setApplicationDisplayName(u"Canary Console"_s);
    QApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));
    QApplication::setDesktopFileName(u"canary-console"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Canary deployment dashboard. Without a Dynatrace URL (--dynatrace-url, DT_ENV_URL or a profile) it "
        "opens the embedded demo. Tokens come from the keychain (Profiles…) or DT_API_TOKEN, never from a "
        "flag."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    ui::ConsoleOptions options;
    options.addTo(parser);
    parser.process(app);
    // The embedded demo is the simulator, started only when no URL is given; the console sees a LocalTenant.
    options.startLocalTenant = sim::embeddedDemoStarter();

    const auto chosen = options.target.profile(parser);
    if (!chosen) {
        fail(chosen.error().join(u'\n'), 2);
        return app.exec();
    }

    profile::ProfileStore profiles;
    secrets::SecretStore secrets;
    ui::ConsoleController controller(options, &profiles, &secrets);
    QObject::connect(&controller, &ui::ConsoleController::openFailed, &app,
        [](const QString &message) { fail(message, 2); });
    QObject::connect(&controller, &ui::ConsoleController::consoleOpened, &app, [&controller, &sinceMain] {
        for (const QString &warning : controller.console()->warnings())
            QTextStream(stderr) << "canary-console: " << warning << '\n';
        // For tools/measure-startup: the first data painted, then out.
        if (qEnvironmentVariableIsSet("CANARY_EXIT_AFTER_FIRST_DATA")) {
            ui::MainWindow *window = controller.console()->window();
            QObject::connect(window, &ui::MainWindow::firstDataShown, window, [window, &sinceMain] {
                window->repaint(); // painted now, not at the next turn of the loop
                QTextStream(stdout) << "first data painted " << sinceMain.elapsed() << " ms after main()\n";
                QCoreApplication::exit(0);
            });
        }
    });
    QObject::connect(&controller, &ui::ConsoleController::switchFailed, &app,
        [&controller](const QString &name, const QString &message) {
            QTextStream(stderr) << "canary-console: cannot switch to " << name << ": " << message << '\n';
            auto *box = new QMessageBox(QMessageBox::Warning, u"Canary Console"_s,
                QObject::tr("Cannot switch to the profile \"%1\"; still showing the previous one.").arg(name),
                QMessageBox::Ok, controller.console() ? controller.console()->window() : nullptr);
            box->setInformativeText(message);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        });
    controller.openInitial(parser, QProcessEnvironment::systemEnvironment(), chosen.value());
    return app.exec();
}
