#include <QTest>

#include "kube/yamlreader.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::readYamlAsJson;

namespace {

// Expected JSON written with single quotes, to keep the tables readable (moc cannot read raw strings
// that hold "//").
QByteArray q(const char *json)
{
    return QByteArray(json).replace('\'', '"');
}

} // namespace

class TestYamlReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsTheSubset_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QByteArray>("json");

        QTest::newRow("empty document") << QByteArray() << QByteArray("null");
        QTest::newRow("only comments and blank lines") << QByteArray("# a\n\n   # b\n") << QByteArray("null");
        QTest::newRow("one pair") << QByteArray("a: b") << q("{'a':'b'}");
        QTest::newRow("nested mappings")
            << QByteArray("a:\n  b:\n    c: d\n  e: f\ng: h\n") << q("{'a':{'b':{'c':'d'},'e':'f'},'g':'h'}");
        QTest::newRow("kubectl's sequence at the key's indentation")
            << QByteArray(
                   "clusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: prod\n- name: dev\n"
                   "contexts: []\n")
            << q("{'clusters':[{'cluster':{'server':'https://10.0.0.1:6443'},'name':'prod'},"
                 "{'name':'dev'}],'contexts':[]}");
        QTest::newRow("indented sequence of '- name:' items")
            << QByteArray("users:\n  - name: a\n    user:\n      token: t1\n  - name: b\n")
            << q("{'users':[{'name':'a','user':{'token':'t1'}},{'name':'b'}]}");
        QTest::newRow("sequence of scalars")
            << QByteArray("- a\n- 'b'\n-\n- \"c\"\n") << q("['a','b',null,'c']");
        QTest::newRow("item on the line after its dash")
            << QByteArray("-\n  name: a\n-\n  - x\n") << q("[{'name':'a'},['x']]");
        QTest::newRow("nested sequences") << QByteArray("- - a\n  - b\n- c\n") << q("[['a','b'],'c']");
        QTest::newRow("colons inside plain scalars")
            << QByteArray("server: https://1.2.3.4:6443/path?x=y\ntime: 12:30\n")
            << q("{'server':'https://1.2.3.4:6443/path?x=y','time':'12:30'}");
        QTest::newRow("single-quoted with doubled quote")
            << QByteArray("a: 'it''s # not a comment'") << QByteArray("{\"a\":\"it's # not a comment\"}");
        QTest::newRow("double-quoted escapes")
            << QByteArray("a: \"tab\\there\\nline \\\"q\\\" back\\\\slash \\/ \\u00e9 \\x41 \\ud83d\\ude00\"")
            << QByteArray(
                   "{\"a\":\"tab\\there\\nline \\\"q\\\" back\\\\slash / \xC3\xA9 A \xF0\x9F\x98\x80\"}");
        QTest::newRow("quoted keys") << QByteArray("\"a b\": 1\n'c:d': 2\n") << q("{'a b':1,'c:d':2}");
        QTest::newRow("core schema typing")
            << QByteArray("t: true\nf: False\nn: null\ntilde: ~\nempty:\ni: 42\nneg: -7\nfl: 3.5\nexp: 1e3\n"
                          "quoted: \"42\"\nhex: 0x10\nversion: 1.0.0\nyes: yes\n")
            << q("{'t':true,'f':false,'n':null,'tilde':null,'empty':null,'i':42,'neg':-7,'fl':3.5,"
                 "'exp':1000.0,'quoted':'42','hex':'0x10','version':'1.0.0','yes':'yes'}");
        QTest::newRow("comments after values, '#' inside a word")
            << QByteArray("a: b # comment\nc: d#e\nf: \"g\"   # c\n# whole line\nh: i\t# tab then comment\n")
            << q("{'a':'b','c':'d#e','f':'g','h':'i'}");
        QTest::newRow("value on the next line, comment after the key")
            << QByteArray("a: # why\n  b: c\n") << q("{'a':{'b':'c'}}");
        QTest::newRow("flow mapping as kubernetes.io writes it")
            << QByteArray("cluster: {server: \"https://10.0.0.1:6443\", insecure-skip-tls-verify: true}\n")
            << q("{'cluster':{'server':'https://10.0.0.1:6443','insecure-skip-tls-verify':true}}");
        QTest::newRow("flow mapping with a plain URL")
            << QByteArray("c: {server: https://h:6443, x: [a, 'b', 2], e: {}, n: , f: []}")
            << q("{'c':{'server':'https://h:6443','x':['a','b',2],'e':{},'n':null,'f':[]}}");
        QTest::newRow("flow across lines with comments and a trailing comma")
            << QByteArray("a: {\n  b: 1, # one\n  c: [x,\n      y,],\n}\nd: e\n")
            << q("{'a':{'b':1,'c':['x','y']},'d':'e'}");
        QTest::newRow("plain JSON kubeconfig")
            << QByteArray("{\n  \"kind\": \"Config\",\n  \"apiVersion\": \"v1\",\n  \"clusters\": [\n    {\n"
                          "      \"name\": \"c\",\n      \"cluster\": {\"server\": \"https://h:6443\"}\n    "
                          "}\n  ],\n"
                          "  \"current-context\": \"\"\n}\n")
            << q("{'kind':'Config','apiVersion':'v1','clusters':[{'name':'c','cluster':"
                 "{'server':'https://h:6443'}}],'current-context':''}");
        QTest::newRow("document markers") << QByteArray("--- # start\na: 1\n...\n# done\n") << q("{'a':1}");
        QTest::newRow("flow after the document marker") << QByteArray("--- {a: 1}\n") << q("{'a':1}");
        QTest::newRow("CRLF line ends and a BOM") << QByteArray("\xEF\xBB\xBF"
                                                                "a:\r\n  b: c\r\n")
                                                  << q("{'a':{'b':'c'}}");
        QTest::newRow("trailing spaces and spaces in keys")
            << QByteArray("my key   : v   \nk: v2\n") << q("{'my key':'v','k':'v2'}");
        QTest::newRow("top-level scalar") << QByteArray("just text\n") << q("'just text'");
        QTest::newRow("empty value then dedent")
            << QByteArray("a:\n  b:\nc: 1\n") << q("{'a':{'b':null},'c':1}");
    }

    void readsTheSubset()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QByteArray, json);
        const auto result = readYamlAsJson(yaml);
        QVERIFY2(result.hasValue(), qPrintable(result.hasValue() ? QString() : result.error().toString()));
        QCOMPARE(*result, json);
    }

    void refusesWithThePosition_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");

        QTest::newRow("tab indentation") << QByteArray("a:\n\tb: c\n") << 2 << 1 << u"tabs"_s;
        QTest::newRow("anchor") << QByteArray("a: &x 1\n") << 1 << 4 << u"anchors"_s;
        QTest::newRow("alias") << QByteArray("a: 1\nb: *x\n") << 2 << 4 << u"aliases"_s;
        QTest::newRow("tag") << QByteArray("a: !!str 1\n") << 1 << 4 << u"tags"_s;
        QTest::newRow("block scalar") << QByteArray("a: |\n  text\n") << 1 << 4 << u"block scalars"_s;
        QTest::newRow("duplicate key")
            << QByteArray("a: 1\nb: 2\na: 3\n") << 3 << 1 << u"duplicate key 'a'"_s;
        QTest::newRow("duplicate key in a flow mapping")
            << QByteArray("{a: 1, a: 2}") << 1 << 8 << u"duplicate"_s;
        QTest::newRow("deeper line inside a mapping")
            << QByteArray("a:\n  b: 1\n   c: 2\n") << 3 << 4 << u"bad indentation"_s;
        QTest::newRow("multi-line plain scalar")
            << QByteArray("a: b\n  c\n") << 2 << 3 << u"bad indentation"_s;
        QTest::newRow("unterminated double quote")
            << QByteArray("x: 1\na: \"abc\n") << 2 << 4 << u"does not end on its line"_s;
        QTest::newRow("unterminated single quote")
            << QByteArray("a: 'abc\n") << 1 << 4 << u"does not end on its line"_s;
        QTest::newRow("unclosed flow mapping")
            << QByteArray("a: {b: 1,\n c: 2\n") << 1 << 4 << u"never closed"_s;
        QTest::newRow("wrong flow closer") << QByteArray("a: {b: 1]\n") << 1 << 9 << u"expected ',' or '}'"_s;
        QTest::newRow("pairs in a flow sequence") << QByteArray("[a: b]") << 1 << 3 << u"flow sequence"_s;
        QTest::newRow("second document")
            << QByteArray("a: 1\n---\nb: 2\n") << 2 << 1 << u"second YAML document"_s;
        QTest::newRow("mapping value inside a value")
            << QByteArray("a: b: c\n") << 1 << 4 << u"cannot hold 'key: value'"_s;
        QTest::newRow("sequence on its key's line")
            << QByteArray("a: - b\n") << 1 << 4 << u"block sequence"_s;
        QTest::newRow("sequence then key at the top")
            << QByteArray("- a\nb: 1\n") << 2 << 1 << u"unexpected content"_s;
        QTest::newRow("key after a nested sequence")
            << QByteArray("a:\n  - b\n  c: d\n") << 3 << 3 << u"bad indentation"_s;
        QTest::newRow("unknown escape") << QByteArray("a: \"x\\qy\"\n") << 1 << 6 << u"unknown escape"_s;
        QTest::newRow("short unicode escape") << QByteArray("a: \"\\u12\"\n") << 1 << 5 << u"hex digits"_s;
        QTest::newRow("complex key") << QByteArray("? a\n: b\n") << 1 << 1 << u"complex keys"_s;
        QTest::newRow("text after a quoted value")
            << QByteArray("a: \"b\" c\n") << 1 << 8 << u"unexpected 'c'"_s;
        QTest::newRow("reserved indicator") << QByteArray("a: @b\n") << 1 << 4 << u"quote the value"_s;
        QTest::newRow("flow nesting that would exhaust the stack")
            << QByteArray(100'000, '[') << 1 << 64 << u"nested deeper than 64 levels"_s;
        QTest::newRow("block nesting too deep") << []() -> QByteArray {
            QByteArray yaml;
            for (int level = 0; level < 70; ++level)
                yaml += QByteArray(level * 2, ' ') + "k:\n";
            return yaml + QByteArray(140, ' ') + "v\n";
        }() << 65
            << 129 << u"nested deeper than 64 levels"_s;
    }

    void refusesWithThePosition()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, message);
        const auto result = readYamlAsJson(yaml);
        QVERIFY2(!result.hasValue(), result.hasValue() ? result.value().constData() : "");
        const auto &error = result.error();
        QVERIFY2(error.message.contains(message), qPrintable(error.toString()));
        QCOMPARE(error.line, line);
        QCOMPARE(error.column, column);
        QVERIFY(error.toString().startsWith(u"line %1, column %2: "_s.arg(line).arg(column)));
    }
};

QTEST_GUILESS_MAIN(TestYamlReader)
#include "tst_yamlreader.moc"
