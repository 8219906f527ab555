// kubeconfig: the YAML-subset reader on its own (whatever it accepts must be JSON that nlohmann reads
// back, as Kubeconfig does), then the whole file through Kubeconfig::resolve.

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "fuzzsupport.h"
#include "kube/kubeconfig.h"
#include "kube/yamlreader.h"

using namespace canary::kube;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const QByteArrayView yaml = canary::fuzz::viewOf(data, size);
    if (const auto json = readYamlAsJson(yaml)) {
        const auto doc = nlohmann::json::parse(json->cbegin(), json->cend(), nullptr, false);
        CANARY_FUZZ_CHECK(!doc.is_discarded());
    } else {
        CANARY_FUZZ_CHECK(json.error().line >= 1 && json.error().column >= 1);
        (void)json.error().toString();
    }

    // Kubeconfig reads files only; one scratch file per process, rewritten for every input.
    static const QTemporaryDir dir;
    static const QString path = dir.filePath(QStringLiteral("config"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(yaml.data(), yaml.size()) != yaml.size())
        std::abort();
    file.close();
    if (const auto connection = Kubeconfig::resolve({ path }); connection)
        (void)connection->describe();
    return 0;
}
