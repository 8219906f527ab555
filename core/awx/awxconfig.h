#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>
#include <QUrl>

#include "util/expected.h"

class QProcessEnvironment;

namespace canary::awx {

// Where an AWX / Automation Controller lives, how to authenticate, and which job template sets the canary
// weight. Secrets (token, password) are only ever taken from the environment and never logged.
struct AwxConfig
{
    static constexpr QStringView AwxApiPath = u"/api/v2/";
    static constexpr QStringView GatewayApiPath
        = u"/api/controller/v2/"; // AAP 2.5+ behind the platform gateway

    QUrl url; // https://awx.example.com
    QString apiPath = AwxApiPath.toString();
    QString token; // OAuth2 / gateway token, sent as Bearer; wins over username/password
    QString username; // HTTP Basic, when there is no token
    QString password;
    QString templateRef; // a job template's exact name or numeric id
    QString canaryVariable = QStringLiteral("canary_weight");
    QString oldVariable = QStringLiteral("old_weight");
    // Templates that also set the split, besides templateRef: a reset template ("Reset canary weighting",
    // the remediationAction a deployment recorded). Their successful jobs mean 0 % canary unless their
    // artifacts publish canaryVariable.
    QList<int> resetTemplateIds;
    // Carries a fresh change id with every launch, so a launch whose answer was lost can be found again.
    QString changeIdVariable = QStringLiteral("canary_console_change_id");
    int pollIntervalMs = 2000;
    int jobTimeoutMs = 600'000;
    int requestTimeoutMs = 30'000;

    // `url`, or CONTROLLER_HOST (TOWER_HOST) when it is empty, as fromEnvironment() resolves it: https:// for
    // a bare host, no query, no fragment, no credentials. Where the AWX's secrets go.
    static Expected<QUrl, QString> resolveUrl(const QProcessEnvironment &environment, QUrl url);
    // Fills what `base` leaves empty from CONTROLLER_HOST, CONTROLLER_OAUTH_TOKEN, CONTROLLER_USERNAME and
    // CONTROLLER_PASSWORD (TOWER_* as older aliases): flags win over the environment. A URL without a scheme
    // gets https://, and one ending in an API path (…/api/v2/) has it moved to `apiPath`. Fails with one
    // line an operator can act on when the URL or the credentials are missing or unusable.
    static Expected<AwxConfig, QString> fromEnvironment(
        const QProcessEnvironment &environment, AwxConfig base);

    // "/api/v2/" from "api/v2", "/api/v2" or "/api/v2/".
    static QString normaliseApiPath(const QString &path);
    // The API path an operator most likely meant when this one answers 404.
    static QString alternativeApiPath(const QString &apiPath);

    // "Bearer …" or "Basic …"; empty without credentials. Never log it.
    QByteArray authorizationHeader() const;
    // "awx.example.com", with the port when one is given.
    QString hostDisplay() const;
};

} // namespace canary::awx
