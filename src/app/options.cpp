// Command line and config file, read the way rtpengine reads them: the config
// file section first, then the command line on top (a list option given on
// the command line replaces the file's list).
#include "app/options.h"

#include "common/log.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/options_detail.h"
#include "common/strings.h"

namespace ngm::app {

namespace detail {

namespace {

// Values collected for one option from one source.
struct Given {
    std::vector<std::string> values;  // one entry unless the option is a list
    bool fromFile = false;
    int line = 0;  // config file line, for messages
};

constexpr std::string_view kFacilities[] = {
    "auth",   "authpriv", "cron",   "daemon", "ftp",    "kern",   "lpr",
    "mail",   "news",     "syslog", "user",   "uucp",   "local0", "local1",
    "local2", "local3",   "local4", "local5", "local6", "local7",
};

std::string joinChoices(std::string_view choices) {
    std::string out;
    for (auto c : split(choices, '|')) {
        if (!out.empty()) out += ", ";
        out += c;
    }
    return out;
}

bool matchesChoice(std::string_view value, std::string_view choices, bool noCase) {
    for (auto c : split(choices, '|'))
        if (noCase ? iequals(c, value) : c == value) return true;
    return false;
}

class Parser {
  public:
    Parser(Options& opts, const ParseEnvironment& env)
        : opts_(opts),
          env_(env),
          table_(optionTable()),
          cli_(table_.size()),
          file_(table_.size()) {}

    ParseResult run(int argc, char** argv);

  private:
    size_t indexOf(const OptionSpec* spec) const {
        return static_cast<size_t>(spec - table_.data());
    }
    const OptionSpec& spec(Target t) const {
        for (const auto& o : table_)
            if (o.target == t) return o;
        return table_.front();  // unreachable: every target has an entry
    }

    ParseResult fail(std::string message) {
        return ParseResult{ParseResult::Action::ExitFailure, std::move(message)};
    }
    std::string where(const Given& g) const {
        if (!g.fromFile) return {};
        return " (config file " + opts_.configFile + ", section [" + opts_.configSection +
               "], line " + std::to_string(g.line) + ")";
    }
    std::string invalid(const OptionSpec& o, std::string_view value, const Given& g,
                        std::string_view reason) const {
        std::string m =
            "Invalid value '" + std::string(value) + "' for option --" + std::string(o.name);
        if (!reason.empty()) m += ": " + std::string(reason);
        return m + where(g);
    }

    bool scanCommandLine(int argc, char** argv, std::string& error, bool& help);
    void record(const OptionSpec& o, std::string value);
    bool loadConfigFile(std::string& error);
    bool typeCheck(const OptionSpec& o, std::string_view value, const Given& g, std::string& error);
    bool apply(const OptionSpec& o, const Given& g, std::string& error);
    bool applyValue(const OptionSpec& o, const std::string& value, size_t index, const Given& g,
                    std::string& error);
    const Given* merged(const OptionSpec& o) const {
        size_t i = indexOf(&o);
        if (cli_[i]) return &*cli_[i];
        if (file_[i]) return &*file_[i];
        return nullptr;
    }

    Options& opts_;
    const ParseEnvironment& env_;
    std::span<const OptionSpec> table_;
    std::vector<std::optional<Given>> cli_;
    std::vector<std::optional<Given>> file_;
    std::vector<LocalAddress> systemAddresses_;
    bool haveSystemAddresses_ = false;
};

void Parser::record(const OptionSpec& o, std::string value) {
    auto& slot = cli_[indexOf(&o)];
    if (!slot) slot.emplace();
    // A single-valued option given twice keeps the last value, as GLib does.
    if (!o.list) slot->values.clear();
    slot->values.push_back(std::move(value));
}

bool Parser::scanCommandLine(int argc, char** argv, std::string& error, bool& help) {
    for (int i = 1; i < argc; i++) {
        std::string_view arg = argv[i] ? argv[i] : "";
        if (arg == "--") {
            if (i + 1 < argc) {
                error = "Unexpected argument '" + std::string(argv[i + 1]) + "'";
                return false;
            }
            break;
        }
        if (arg.starts_with("--")) {
            std::string_view name = arg.substr(2);
            std::optional<std::string_view> inlineValue;
            if (auto eq = name.find('='); eq != std::string_view::npos) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            const OptionSpec* o = findLongOption(name);
            if (!o) {
                error = "Unknown option --" + std::string(name) + " (see --help)";
                return false;
            }
            if (o->type == ValueType::Flag) {
                bool on = true;
                if (inlineValue) {
                    auto b = parseBool(*inlineValue);
                    if (!b) {
                        error = "Invalid value '" + std::string(*inlineValue) + "' for option --" +
                                std::string(name) + ": expected true or false";
                        return false;
                    }
                    on = *b;
                }
                if (o->target == Target::Help && on) {
                    help = true;
                    return true;
                }
                record(*o, on ? "true" : "false");
                continue;
            }
            if (inlineValue) {
                record(*o, std::string(*inlineValue));
            } else if (i + 1 < argc) {
                record(*o, argv[++i]);
            } else {
                error = "Option --" + std::string(name) + " needs a value";
                return false;
            }
            continue;
        }
        if (arg.size() > 1 && arg.front() == '-') {
            // A cluster of short options; one taking a value ends the cluster
            // and takes the rest of it, or else the next argument.
            for (size_t j = 1; j < arg.size(); j++) {
                const OptionSpec* o = findShortOption(arg[j]);
                if (!o) {
                    error = "Unknown option -" + std::string(1, arg[j]) + " (see --help)";
                    return false;
                }
                if (o->type == ValueType::Flag) {
                    if (o->target == Target::Help) {
                        help = true;
                        return true;
                    }
                    record(*o, "true");
                    continue;
                }
                if (j + 1 < arg.size()) {
                    record(*o, std::string(arg.substr(j + 1)));
                } else if (i + 1 < argc) {
                    record(*o, argv[++i]);
                } else {
                    error = "Option -" + std::string(1, arg[j]) + " (--" + std::string(o->name) +
                            ") needs a value";
                    return false;
                }
                break;
            }
            continue;
        }
        error = "Unexpected argument '" + std::string(arg) + "'";
        return false;
    }
    return true;
}

bool Parser::loadConfigFile(std::string& error) {
    const auto& fileSlot = cli_[indexOf(&spec(Target::ConfigFile))];
    const auto& sectionSlot = cli_[indexOf(&spec(Target::ConfigSection))];
    const Given* fileOpt = fileSlot ? &*fileSlot : nullptr;
    const Given* sectionOpt = sectionSlot ? &*sectionSlot : nullptr;
    if (sectionOpt) opts_.configSection = sectionOpt->values.back();

    bool explicitFile = fileOpt != nullptr;
    std::string path = explicitFile ? fileOpt->values.back() : env_.defaultConfigFile;
    if (path == "none" || (!explicitFile && path.empty())) return true;
    if (path.empty()) {
        error = "Invalid value '' for option --config-file: expected a file name or 'none'";
        return false;
    }

    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        // The default file is optional; one named on the command line is not.
        if (!explicitFile && err == ENOENT) return true;
        error = "Cannot read config file " + path + ": " + std::strerror(err);
        return false;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
        error = "Cannot read config file " + path;
        return false;
    }

    KeyFile kf;
    std::string why;
    if (!parseKeyFile(buf.str(), kf, why)) {
        error = "Config file " + path + ", " + why;
        return false;
    }
    opts_.configFile = path;
    const auto* entries = kf.section(opts_.configSection);
    if (!entries) {
        error = "Config file " + path + " has no section [" + opts_.configSection + "]";
        return false;
    }

    for (const auto& e : *entries) {
        const OptionSpec* o = findLongOption(e.key);
        if (!o) {
            opts_.warnings.push_back("Config file " + path + " line " + std::to_string(e.line) +
                                     ": unknown key '" + e.key + "' ignored");
            continue;
        }
        if (o->target == Target::Help || o->target == Target::ConfigFile ||
            o->target == Target::ConfigSection) {
            opts_.warnings.push_back("Config file " + path + " line " + std::to_string(e.line) +
                                     ": key '" + e.key + "' only works on the command line");
            continue;
        }
        Given g;
        g.fromFile = true;
        g.line = e.line;
        if (o->list) {
            g.values = splitKeyFileList(e.rawValue);
        } else {
            g.values.push_back(unescapeKeyFileValue(e.rawValue));
        }
        // Like GLib's typed getters: a malformed value in the file is an error
        // even if the command line overrides the option.
        for (auto& v : g.values) {
            if (o->type == ValueType::Flag) {
                auto b = parseBool(v);
                if (!b) {
                    error = invalid(*o, v, g, "expected true or false");
                    return false;
                }
                v = *b ? "true" : "false";
            } else if (!typeCheck(*o, v, g, error)) {
                return false;
            }
        }
        file_[indexOf(o)] = std::move(g);
    }
    return true;
}

bool Parser::typeCheck(const OptionSpec& o, std::string_view value, const Given& g,
                       std::string& error) {
    switch (o.type) {
        case ValueType::Int: {
            auto v = parseInteger(value);
            if (!v) {
                error = invalid(o, value, g, "not an integer");
                return false;
            }
            if (*v < INT_MIN || *v > INT_MAX) {
                error = invalid(o, value, g, "integer out of range");
                return false;
            }
            return true;
        }
        case ValueType::Int64:
            if (!parseInteger(value)) {
                error = invalid(o, value, g, "not an integer");
                return false;
            }
            return true;
        case ValueType::Double:
            if (!parseDouble(value)) {
                error = invalid(o, value, g, "not a number");
                return false;
            }
            return true;
        case ValueType::Flag:
            if (!parseBool(value)) {
                error = invalid(o, value, g, "expected true or false");
                return false;
            }
            return true;
        case ValueType::String:
            return true;
    }
    return true;
}

bool Parser::applyValue(const OptionSpec& o, const std::string& value, size_t index, const Given& g,
                        std::string& error) {
    if (!typeCheck(o, value, g, error)) return false;
    int64_t number =
        (o.type == ValueType::Int || o.type == ValueType::Int64) ? *parseInteger(value) : 0;
    int asInt = static_cast<int>(number);

    switch (o.check) {
        case Check::None:
            break;
        case Check::Range:
            if (number < o.min || number > o.max) {
                error = invalid(
                    o, value, g,
                    "must be between " + std::to_string(o.min) + " and " + std::to_string(o.max));
                return false;
            }
            break;
        case Check::Choice:
        case Check::ChoiceNoCase:
            if (!matchesChoice(value, o.choices, o.check == Check::ChoiceNoCase)) {
                error = invalid(o, value, g, "must be one of " + joinChoices(o.choices));
                return false;
            }
            break;
        case Check::Facility: {
            bool known = false;
            for (auto f : kFacilities) known = known || f == value;
            if (!known) {
                std::string list;
                for (auto f : kFacilities) list += (list.empty() ? "" : " ") + std::string(f);
                error = invalid(o, value, g, "not a syslog facility (" + list + ")");
                return false;
            }
            break;
        }
        case Check::Listen: {
            std::vector<net::Endpoint> eps;
            std::string why;
            if (!parseListen(value, eps, why)) {
                error = invalid(o, value, g, why);
                return false;
            }
            std::vector<net::Endpoint>* dest = nullptr;
            switch (o.target) {
                case Target::ListenNg:
                    dest = &opts_.listenNg;
                    break;
                case Target::ListenTcpNg:
                    dest = &opts_.listenTcpNg;
                    break;
                case Target::ListenCli:
                    dest = &opts_.listenCli;
                    break;
                case Target::ListenUdp:
                    dest = &opts_.listenUdp;
                    break;
                case Target::ListenTcp:
                    dest = &opts_.listenTcp;
                    break;
                case Target::ListenHttp:
                    dest = &opts_.listenHttp;
                    break;
                case Target::ListenHttps:
                    dest = &opts_.listenHttps;
                    break;
                default:
                    break;
            }
            if (dest) dest->insert(dest->end(), eps.begin(), eps.end());
            return true;
        }
        case Check::HostPort: {
            net::Endpoint ep;
            std::string why;
            if (!parseHostPort(value, ep, why)) {
                error = invalid(o, value, g, why);
                return false;
            }
            break;
        }
        case Check::Redis: {
            // [PASSWORD@]HOST:PORT/DB; the password ends at the first '@'.
            std::string_view rest = value;
            if (auto at = rest.find('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
            auto slash = rest.find('/');
            std::string why = "expected [PASSWORD@]HOST:PORT/DB";
            if (slash == std::string_view::npos) {
                error = invalid(o, value, g, why);
                return false;
            }
            std::string_view db = rest.substr(slash + 1);
            if (db.empty() || db.find_first_not_of("0123456789") != std::string_view::npos ||
                !parseInteger(db) || *parseInteger(db) > INT_MAX) {
                error = invalid(o, value, g, why + " (DB is a number)");
                return false;
            }
            net::Endpoint ep;
            if (!parseHostPort(rest.substr(0, slash), ep, why)) {
                error = invalid(o, value, g, why);
                return false;
            }
            break;
        }
        case Check::CnParams: {
            int64_t limit = index == 0 ? 127 : 254;
            if (number < 0 || number > limit) {
                error = invalid(o, value, g,
                                index == 0 ? "the noise level must be between 0 and 127"
                                           : "a spectral coefficient must be between 0 and 254");
                return false;
            }
            break;
        }
        case Check::MysqlQuery: {
            size_t percents = 0;
            for (char c : value) percents += c == '%';
            if (value.find("%llu") == std::string::npos || percents != 1) {
                error = invalid(o, value, g, "needs exactly one %llu and no other '%'");
                return false;
            }
            break;
        }
    }

    switch (o.target) {
        case Target::Interface: {
            if (!haveSystemAddresses_ && !env_.localAddresses) {
                systemAddresses_ = systemLocalAddresses();
                haveSystemAddresses_ = true;
            }
            const auto& local = env_.localAddresses ? *env_.localAddresses : systemAddresses_;
            std::string why;
            if (!parseInterface(value, local, opts_.interfaces, why)) {
                error = invalid(o, value, g, why);
                return false;
            }
            break;
        }
        case Target::PortMin:
            opts_.portMin = asInt;
            break;
        case Target::PortMax:
            opts_.portMax = asInt;
            break;
        case Target::Tos:
            opts_.tos = asInt;
            break;
        case Target::ControlTos:
            opts_.controlTos = asInt;
            break;
        // rtpengine falls back to the default for zero or negative timeouts.
        case Target::Timeout:
            opts_.timeout = asInt > 0 ? asInt : 60;
            break;
        case Target::SilentTimeout:
            opts_.silentTimeout = asInt > 0 ? asInt : 3600;
            break;
        case Target::OfferTimeout:
            opts_.offerTimeout = asInt > 0 ? asInt : 3600;
            break;
        case Target::FinalTimeout:
            opts_.finalTimeout = asInt > 0 ? asInt : 0;
            break;
        case Target::DeleteDelay:
            opts_.deleteDelay = asInt > 0 ? asInt : 0;
            break;
        case Target::NgReplyCache:
            if (asInt < 1 || asInt > 3600) {
                error = invalid(o, value, g, "must be between 1 and 3600");
                return false;
            }
            opts_.ngReplyCache = asInt;
            break;
        case Target::MaxSessions:
            opts_.maxSessions = asInt >= -1 ? asInt : -1;
            break;
        case Target::MaxLoad:
            opts_.maxLoad = std::max(0.0, *parseDouble(value));
            break;
        case Target::MaxCpu:
            opts_.maxCpu = std::max(0.0, *parseDouble(value));
            break;
        case Target::MaxBandwidth:
            opts_.maxBandwidth = std::max<int64_t>(0, number);
            break;
        case Target::Table:
            opts_.table = asInt;
            break;
        case Target::NumThreads:
            opts_.numThreads = asInt > 0 ? asInt : 0;
            break;
        case Target::LogLevel:
            opts_.logLevel = asInt;
            break;
        case Target::LogLevelSubsystem:
            if (auto sub = log::subsystemByName(o.name.substr(std::string_view("log-level-").size())))
                opts_.subsystemLogLevels[size_t(*sub)] = asInt;
            break;
        case Target::Pidfile:
            opts_.pidfile = value;
            break;
        case Target::HttpsCert:
            opts_.httpsCert = value;
            break;
        case Target::HttpsKey:
            opts_.httpsKey = value;
            break;
        case Target::HttpThreads:
            opts_.httpThreads = asInt > 0 ? asInt : 0;
            break;
        case Target::LogFacility:
            opts_.logFacility = value;
            break;
        case Target::DtlsRsaKeySize:
            opts_.dtlsRsaKeySize = asInt;
            break;
        case Target::DtlsCertCipher:
            opts_.dtlsCertCipher = value;
            break;
        case Target::DtlsMtu:
            opts_.dtlsMtu = asInt;
            break;
        case Target::DtlsCiphers:
            opts_.dtlsCiphers = value;
            break;
        case Target::DtlsSignature:
            opts_.dtlsSignature = value;
            break;
        case Target::EndpointLearning:
            if (iequals(value, "delayed"))
                opts_.endpointLearning = media::Learning::Delayed;
            else if (iequals(value, "immediate"))
                opts_.endpointLearning = media::Learning::Immediate;
            else if (iequals(value, "off"))
                opts_.endpointLearning = media::Learning::Off;
            else
                opts_.endpointLearning = media::Learning::Heuristic;
            break;
        default:
            break;
    }
    return true;
}

bool Parser::apply(const OptionSpec& o, const Given& g, std::string& error) {
    if (o.type == ValueType::Flag) {
        bool on = !g.values.empty() && g.values.back() == "true";
        switch (o.target) {
            case Target::NoFallback:
                opts_.noFallback = on;
                break;
            case Target::NoIoUring:
                opts_.noIoUring = on;
                break;
            case Target::SipSource:
                opts_.sipSource = on;
                break;
            case Target::RejectInvalidSdp:
                opts_.rejectInvalidSdp = on;
                break;
            case Target::SaveInterfacePorts:
                opts_.saveInterfacePorts = on;
                break;
            case Target::Foreground:
                opts_.foreground = on;
                break;
            case Target::LogStderr:
                opts_.logStderr = on;
                break;
            case Target::DtlsPassive:
                opts_.dtlsPassive = on;
                break;
            case Target::NotYet:
                if (on) opts_.notYetImplemented[std::string(o.name)] = "true";
                break;
            default:
                break;
        }
        return true;
    }
    for (size_t i = 0; i < g.values.size(); i++)
        if (!applyValue(o, g.values[i], i, g, error)) return false;
    if (o.target == Target::NotYet && !g.values.empty()) {
        std::string joined;
        for (const auto& v : g.values) joined += (joined.empty() ? "" : ";") + v;
        opts_.notYetImplemented[std::string(o.name)] = joined;
    }
    return true;
}

ParseResult Parser::run(int argc, char** argv) {
    std::string error;
    bool help = false;
    if (!scanCommandLine(argc, argv, error, help)) return fail(error);
    std::string program = argc > 0 && argv[0] ? argv[0] : "ngmediad";
    if (auto slash = program.rfind('/'); slash != std::string::npos) program.erase(0, slash + 1);
    if (help) return {ParseResult::Action::ExitSuccess, helpText(program)};

    auto flagSet = [&](Target t) {
        const Given* g = merged(spec(t));
        return g && !g->values.empty() && g->values.back() == "true";
    };
    const std::string version = "Version: ngmedia " NGM_VERSION_STRING "\n";
    const std::string codecs = "ngmedia " NGM_VERSION_STRING
                               " does not transcode yet: media is relayed in the codecs the "
                               "endpoints negotiate.\n";
    // Answer these before the config file so a broken file does not hide them.
    if (flagSet(Target::Version)) return {ParseResult::Action::ExitSuccess, version};
    if (flagSet(Target::Codecs)) return {ParseResult::Action::ExitSuccess, codecs};

    if (!loadConfigFile(error)) return fail(error);
    if (flagSet(Target::Version)) return {ParseResult::Action::ExitSuccess, version};
    if (flagSet(Target::Codecs)) return {ParseResult::Action::ExitSuccess, codecs};

    for (const auto& o : table_) {
        if (o.target == Target::Help || o.target == Target::Version || o.target == Target::Codecs ||
            o.target == Target::ConfigFile || o.target == Target::ConfigSection)
            continue;
        if (const Given* g = merged(o); g && !apply(o, *g, error)) return fail(error);
    }

    // Start-up requirements, in the order rtpengine checks them.
    const Given* ifs = merged(spec(Target::Interface));
    if (!ifs) return fail("Missing option --interface: at least one local media address is needed");
    if (opts_.interfaces.empty()) return fail("Option --interface lists no address" + where(*ifs));
    if (opts_.listenNg.empty() && opts_.listenTcpNg.empty() && opts_.listenUdp.empty() &&
        opts_.listenTcp.empty() && opts_.listenHttp.empty() && opts_.listenHttps.empty())
        return fail(
            "Missing control listener: give at least one of --listen-ng, --listen-tcp-ng, "
            "--listen-udp, --listen-tcp, --listen-http, --listen-https");
    if (opts_.portMin > opts_.portMax)
        return fail("Invalid port range: --port-min " + std::to_string(opts_.portMin) +
                    " is above --port-max " + std::to_string(opts_.portMax));
    if (!opts_.listenHttps.empty() && opts_.httpsCert.empty())
        return fail("Option --listen-https needs a certificate (--https-cert)");
    return {};
}

}  // namespace

ParseResult parseOptions(int argc, char** argv, Options& opts, const ParseEnvironment& env) {
    Parser parser(opts, env);
    return parser.run(argc, argv);
}

}  // namespace detail

ParseResult parseOptions(int argc, char** argv, Options& opts) {
    return detail::parseOptions(argc, argv, opts, detail::ParseEnvironment{});
}

}  // namespace ngm::app
