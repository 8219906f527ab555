#include "jsonparse.h"

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary {

namespace {

using Json = nlohmann::json;

// Keeps the error text and ignores the values: the SAX interface is the only way to get the message
// without exceptions. Its wording does not depend on the DOM type, so ordered_json callers get the same.
class ParseErrorCollector final : public nlohmann::json_sax<Json>
{
public:
    std::string message;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t &) override { return true; }
    bool string(string_t &) override { return true; }
    bool binary(binary_t &) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t &) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &ex) override
    {
        message = ex.what();
        return false;
    }
};

} // namespace

QString jsonParseErrorMessage(QByteArrayView json)
{
    ParseErrorCollector collector;
    Json::sax_parse(json.begin(), json.end(), &collector);
    QString text = QString::fromStdString(collector.message);
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u"] "_s);
        if (close > 0)
            text.remove(0, close + 2);
    }
    return text.isEmpty() ? u"not valid JSON"_s : text;
}

} // namespace canary
