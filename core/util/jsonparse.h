#pragma once

#include <QByteArrayView>
#include <QString>

namespace canary {

// Why `json` is not valid JSON, in nlohmann's own words with the position, e.g. "parse error at line 1,
// column 1: syntax error while parsing value - invalid literal; last read: '<'". nlohmann's DOM parser with
// exceptions off only says "discarded", and an operator needs the position to tell a truncated body from a
// proxy's HTML page. Call it once a parse has failed: for valid JSON it says "not valid JSON" all the same.
QString jsonParseErrorMessage(QByteArrayView json);

} // namespace canary
