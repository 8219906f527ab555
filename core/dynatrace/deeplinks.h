#pragma once

#include <QUrl>

#include "event.h"

namespace canary::dynatrace {

// Links into a tenant's web UI, for "open in Dynatrace". The fragments are the classic UI's, as public code
// uses them (not documented): ';' and '=' stay as they are, only the ids are percent-encoded where needed.
// `environment` is the tenant URL the user knows: https://<id>.live.dynatrace.com, Managed
// https://<host>/e/<id>, or the new platform's https://<id>.apps.dynatrace.com, which gets the classic apps'
// paths (/ui/apps/dynatrace.classic.services/…). An empty environment or id gives an empty QUrl.

// The new platform (`.apps.dynatrace.com`, `.apps.dynatracelabs.com`), whose UI hosts the classic pages as
// apps.
bool isNewPlatformUrl(const QUrl &environment);

// The service's overview for [fromMs, toMs]:
// {env}/#newservices/serviceOverview;id=SERVICE-…;gtf=c_<fromMs>_<toMs>;gf=all
QUrl servicePageUrl(const QUrl &environment, const QString &serviceId, qint64 fromMs, qint64 toMs);

// {env}/#problems/problemdetails;pid=<problemId>: the long problemId, not the P-… displayId.
QUrl problemPageUrl(const QUrl &environment, const QString &problemId);

// Events have no page of their own: the page of the service they are on, from 5 minutes before the event to
// 5 minutes after it ended (or after `nowMs` while it is open). Empty for events not on a SERVICE.
QUrl eventContextUrl(const QUrl &environment, const Event &event, qint64 nowMs);

} // namespace canary::dynatrace
