// The event and problem feed (SAX parser): a page of events, a page of problems, one problem.

#include "dynatrace/feedparser.h"
#include "fuzzsupport.h"

using namespace canary::dynatrace;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const QByteArrayView json = canary::fuzz::viewOf(data, size);
    if (const auto page = parseEventPage(json)) {
        for (const Event &event : page->events) {
            // The cap is the parser's promise to the timeline and its tooltips.
            for (const QString &value : event.properties)
                CANARY_FUZZ_CHECK(value.size() <= MaxPropertyValueChars);
            (void)event.isOpen();
        }
    } else {
        (void)page.error().summary();
    }
    if (const auto page = parseProblemPage(json); !page)
        (void)page.error().summary();
    if (const auto problem = parseProblem(json); !problem)
        (void)problem.error().summary();
    return 0;
}
