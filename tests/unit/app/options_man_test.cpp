// The man pages are made from the option table and from ngmedia-ctl's usage
// text: every option and every usage line must be in them.
#include "app/options_man.h"

#include <gtest/gtest.h>

#include <string>

#include "app/options_detail.h"
#include "ngmedia_ctl_usage.h"

namespace ngm::app {
namespace {

TEST(ManPage, DaemonPageHasEveryOptionOfTheTable) {
    std::string page = daemonManPage();
    size_t n = 0;
    for (const auto& o : detail::optionTable()) {
        std::string entry = "\\fB\\-\\-" + roffEscape(o.name) + "\\fR";
        EXPECT_NE(page.find(entry), std::string::npos)
            << "--" << o.name << " is missing from ngmediad(8)";
        if (o.shortName) {
            std::string shortEntry = "\\fB\\-" + std::string(1, o.shortName) + "\\fR, " + entry;
            EXPECT_NE(page.find(shortEntry), std::string::npos)
                << "-" << o.shortName << " is missing";
        }
        if (o.type != detail::ValueType::Flag) {
            EXPECT_NE(page.find(entry + "=\\fI" + roffEscape(o.meta) + "\\fR"), std::string::npos)
                << "--" << o.name << "'s argument is missing";
        }
        n++;
    }
    EXPECT_GT(n, 100u);  // the table is rtpengine's whole option set
}

TEST(ManPage, DaemonPageMarksOptionsWithoutEffect) {
    std::string page = daemonManPage();
    for (const auto& o : detail::optionTable()) {
        if (o.target != detail::Target::NotYet) continue;
        std::string entry = "\\fB\\-\\-" + roffEscape(o.name) + "\\fR";
        size_t at = page.find(entry);
        ASSERT_NE(at, std::string::npos);
        size_t next = page.find("\n.TP\n", at);
        EXPECT_NE(page.substr(at, next - at).find("without effect yet"), std::string::npos)
            << o.name;
    }
}

TEST(ManPage, DaemonPageIsAManPageWithSignalsAndFiles) {
    std::string page = daemonManPage();
    EXPECT_EQ(page.find(".\\\""), 0u);
    EXPECT_NE(page.find("\n.TH NGMEDIAD 8 "), std::string::npos);
    for (const char* section : {".SH NAME\n", ".SH SYNOPSIS\n", ".SH OPTIONS\n", ".SH SIGNALS\n",
                                ".SH SYSTEMD\n", ".SH FILES\n", ".SH SEE ALSO\n"})
        EXPECT_NE(page.find(section), std::string::npos) << section;
    EXPECT_NE(page.find("/etc/ngmedia/ngmedia.conf"), std::string::npos);
}

TEST(ManPage, CtlPageHoldsTheUsageTextLineByLine) {
    std::string page = ctlManPage(ctl::kUsage);
    EXPECT_NE(page.find("\n.TH NGMEDIA\\-CTL 8 "), std::string::npos);
    std::string usage = ctl::kUsage;
    size_t start = 0, lines = 0;
    while (start < usage.size()) {
        size_t nl = usage.find('\n', start);
        std::string line = usage.substr(start, nl - start);
        EXPECT_NE(page.find("\n" + roffEscape(line) + "\n"), std::string::npos)
            << "missing: " << line;
        lines++;
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    EXPECT_GT(lines, 50u);
    EXPECT_NE(page.find("\\-port"), std::string::npos);
}

TEST(ManPage, RoffEscapeKeepsRequestsAndEscapesOut) {
    EXPECT_EQ(roffEscape("a-b"), "a\\-b");
    EXPECT_EQ(roffEscape("c:\\x"), "c:\\ex");
    EXPECT_EQ(roffEscape(".TH"), "\\&.TH");
    EXPECT_EQ(roffEscape("'x"), "\\&'x");
    EXPECT_EQ(roffEscape(""), "");
}

}  // namespace
}  // namespace ngm::app
