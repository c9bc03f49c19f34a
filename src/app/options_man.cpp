#include "app/options_man.h"

#include "app/options_detail.h"

namespace ngm::app {

namespace {

constexpr std::string_view kHeader =
    ".\\\" Generated at build time by ngm-manpage from the program's own tables: do not edit.\n";

std::string title(std::string_view name) {
    std::string out(kHeader);
    std::string upper;
    for (char c : name) upper += char(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    out += ".TH " + roffEscape(upper) +
           " 8 \"\" \"ngmedia " NGM_VERSION_STRING "\" \"System Administration\"\n";
    return out;
}

// One option as a tagged paragraph: "-L, --log-level=INT" then its help.
std::string optionEntry(const detail::OptionSpec& o) {
    std::string out = ".TP\n";
    if (o.shortName) out += "\\fB\\-" + std::string(1, o.shortName) + "\\fR, ";
    out += "\\fB\\-\\-" + roffEscape(o.name) + "\\fR";
    if (o.type != detail::ValueType::Flag) out += "=\\fI" + roffEscape(o.meta) + "\\fR";
    out += "\n" + roffEscape(o.help) + ".";
    if (o.list)
        out += " May be given more than once (in the config file: a list separated by ';').";
    if (o.target == detail::Target::NotYet) {
        out += "\nAccepted and checked for compatibility with rtpengine, but without effect yet";
        if (!o.capability.empty()) out += " (needs " + roffEscape(o.capability) + ")";
        out += ".";
    }
    return out + "\n";
}

}  // namespace

std::string roffEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    // A line starting with '.' or '\'' would be read as a request.
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

std::string daemonManPage() {
    std::string out = title("ngmediad");
    out += R"(.SH NAME
ngmediad \- media proxy for SIP and WebRTC, a drop\-in replacement for rtpengine
.SH SYNOPSIS
.B ngmediad
[\fIOPTION\fR...]
.SH DESCRIPTION
\fBngmediad\fR relays, rewrites and secures the media streams of calls set up
by a SIP proxy. Kamailio's and OpenSIPS's \fBrtpengine\fR modules drive it over
the bencode "ng" control protocol, as they drive \fBrtpengine\fR(1); an
existing rtpengine configuration file and command line start it unchanged.
.PP
Every long option is also a key of the configuration file, in the section
given by \fB\-\-config\-section\fR. Options given on the command line take
precedence over the file.
.SH OPTIONS
)";
    for (const auto& o : detail::optionTable()) out += optionEntry(o);
    out += R"(.SH SIGNALS
.TP
.B SIGTERM\fR, \fBSIGINT\fR, \fBSIGQUIT
Shut down: the control listeners close, every call ends as a forced delete
ends it (sockets closed, ports released, totals counted), and the
process exits with status 0.
.TP
.B SIGHUP
Reopen the log: the connection to syslog is made again. With
\fB\-\-log\-stderr\fR there is nothing to reopen.
.SH SYSTEMD
The unit \fBngmediad.service\fR runs \fBngmediad\fR with \fIType=notify\fR:
the daemon sends READY=1 once every listener is open, STOPPING=1 when it
starts to shut down, and, when \fIWatchdogSec=\fR is set, WATCHDOG=1 at half
that interval as long as every media worker thread still runs.
The unit reads \fI/etc/default/ngmediad\fR, where \fBCONFIG_FILE\fR and
\fBCONFIG_SECTION\fR choose the configuration, for example
\fI/etc/rtpengine/rtpengine.conf\fR and \fIrtpengine\fR.
.SH FILES
.TP
.I /etc/ngmedia/ngmedia.conf
The configuration the package installs (section \fI[ngmedia]\fR).
.TP
.I /etc/rtpengine/rtpengine.conf
The default of \fB\-\-config\-file\fR, as for rtpengine (section \fI[rtpengine]\fR).
.TP
.I /etc/default/ngmediad
Which configuration file and section the systemd unit uses.
.SH SEE ALSO
\fBngmedia\-ctl\fR(8), \fBrtpengine\fR(1), \fBsystemd.service\fR(5)
)";
    return out;
}

std::string ctlManPage(std::string_view usage) {
    std::string out = title("ngmedia-ctl");
    out += R"(.SH NAME
ngmedia\-ctl \- send a command to the CLI port of ngmediad
.SH SYNOPSIS
.B ngmedia\-ctl
[\fB\-ip\fR \fIADDRESS\fR[:\fIPORT\fR]] [\fB\-port\fR \fIPORT\fR] [\fB\-config\-file\fR \fIFILE\fR] \fICOMMAND\fR
.SH DESCRIPTION
\fBngmedia\-ctl\fR connects to the CLI port of \fBngmediad\fR(8) (its
\fB\-\-listen\-cli\fR option), sends one command line and prints the answer.
Its options, commands and exit codes are those of \fBrtpengine\-ctl\fR, so
scripts may call either, against either daemon.
.SH COMMANDS AND OPTIONS
This is the text \fBngmedia\-ctl \-\-help\fR prints.
.PP
.nf
)";
    // The usage text line by line, verbatim in a no-fill block.
    size_t start = 0;
    while (start < usage.size()) {
        size_t nl = usage.find('\n', start);
        std::string_view line =
            usage.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        out += roffEscape(line) + "\n";
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    out += R"(.fi
.SH SEE ALSO
\fBngmediad\fR(8), \fBrtpengine\-ctl\fR(1)
)";
    return out;
}

}  // namespace ngm::app
