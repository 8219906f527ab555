#pragma once

#include <optional>

#include <QByteArrayView>
#include <QJsonObject>

#include "awxerror.h"
#include "job.h"
#include "jobtemplate.h"
#include "launchinfo.h"
#include "launchresult.h"
#include "page.h"
#include "util/expected.h"

namespace canary::awx {

// Strict about the fields the console relies on (ids, status, the launch flags), lenient about the rest:
// unknown fields are ignored and optional ones may be absent or null, as in older AWX and Tower versions.
Expected<JobTemplate, AwxError> parseJobTemplate(QByteArrayView json);
Expected<Page<JobTemplate>, AwxError> parseJobTemplatePage(QByteArrayView json);
Expected<LaunchInfo, AwxError> parseLaunchInfo(QByteArrayView json);
Expected<LaunchResult, AwxError> parseLaunchResult(QByteArrayView json);
Expected<Job, AwxError> parseJob(QByteArrayView json);
Expected<Page<Job>, AwxError> parseJobPage(QByteArrayView json);
// GET jobs/{id}/stdout/?format=json: {"range":{…},"content":"…"} -> the content.
Expected<QString, AwxError> parseStdoutContent(QByteArrayView json);

// DRF's error bodies: {"detail":"…"}, a field map {"field":["msg",…]} (non-field errors under "__all__"), a
// list of messages, or a bare string. nullopt when the body is none of these (not JSON, an HTML page).
// The result carries message and fieldErrors only; the caller adds status, kind and URL.
std::optional<AwxError> parseErrorBody(QByteArrayView json);

// extra_vars as AWX stores them: a JSON object, or YAML. Only a flat YAML mapping of scalars is read
// ("canary_weight: 30"); nested values are skipped. Empty when the text is neither.
QJsonObject parseExtraVars(const QString &text);

} // namespace canary::awx
