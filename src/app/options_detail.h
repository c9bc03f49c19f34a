// Internals of the option parser, exposed for unit tests: the option table,
// the keyfile reader and the address forms of --interface and --listen-*.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/options.h"

namespace ngm::app::detail {

// ---- option table ---------------------------------------------------------

enum class ValueType : uint8_t { Flag, Int, Int64, Double, String };

// What a value is checked against beyond its type.
enum class Check : uint8_t {
    None,
    Range,         // integer within [min, max]
    Choice,        // one of `choices` ('|'-separated), exact spelling
    ChoiceNoCase,  // one of `choices`, any letter case
    Facility,      // a syslog facility name
    Listen,        // [HOST:]PORT, a bare port meaning every address
    HostPort,      // HOST:PORT, both parts required
    Redis,         // [PASSWORD@]HOST:PORT/DB
    CnParams,      // comfort noise bytes: the level 0..127, then coefficients 0..254
    MysqlQuery,    // exactly one %llu and no other '%'
};

// Where a value ends up; NotYet means Options::notYetImplemented.
enum class Target : uint8_t {
    NotYet,
    Help,
    Version,
    Codecs,
    ConfigFile,
    ConfigSection,
    Interface,
    PortMin,
    PortMax,
    ListenNg,
    ListenTcpNg,
    ListenCli,
    ListenUdp,
    ListenTcp,
    ListenHttp,
    ListenHttps,
    Tos,
    ControlTos,
    Timeout,
    SilentTimeout,
    FinalTimeout,
    OfferTimeout,
    DeleteDelay,
    NgReplyCache,
    MaxSessions,
    MaxLoad,
    MaxCpu,
    MaxBandwidth,
    Table,
    NoFallback,
    NoIoUring,
    SipSource,
    RejectInvalidSdp,
    SaveInterfacePorts,
    EndpointLearning,
    Pidfile,
    Foreground,
    LogLevel,
    LogLevelSubsystem,
    LogStderr,
    LogFacility,
    NumThreads,
    DtlsPassive,
    DtlsRsaKeySize,
    DtlsCertCipher,
    DtlsMtu,
    DtlsCiphers,
    DtlsSignature,
    HttpsCert,
    HttpsKey,
    HttpThreads,
};

struct OptionSpec {
    std::string_view name = {};  // long name, also the config file key
    char shortName = 0;
    ValueType type = ValueType::Flag;
    bool list = false;  // repeatable; ';'-separated in the config file
    Target target = Target::NotYet;
    Check check = Check::None;
    int64_t min = 0;  // Check::Range bounds
    int64_t max = 0;
    std::string_view choices = {};     // Check::Choice*: "a|b|c"
    std::string_view meta = {};        // argument placeholder shown by --help
    std::string_view help = {};        // one line for --help
    std::string_view capability = {};  // NotYet: what ngmedia will need to honour it
};

std::span<const OptionSpec> optionTable();
const OptionSpec* findLongOption(std::string_view name);
const OptionSpec* findShortOption(char c);

// The --help text.
std::string helpText(std::string_view program);

// ---- value syntax ---------------------------------------------------------

// Integers: optional sign, then decimal digits or 0x + hex digits.
std::optional<int64_t> parseInteger(std::string_view s);
std::optional<double> parseDouble(std::string_view s);
// true/false, yes/no, 1/0 in any letter case.
std::optional<bool> parseBool(std::string_view s);

// ---- keyfile (the INI dialect of GLib key files) ----------------------------

struct KeyFileEntry {
    std::string key;
    std::string rawValue;  // escapes not yet resolved
    int line = 0;
};

struct KeyFile {
    // section name -> entries in file order; a repeated section is merged and
    // a repeated key is kept once, with the value given last.
    std::map<std::string, std::vector<KeyFileEntry>> sections;

    const std::vector<KeyFileEntry>* section(const std::string& name) const;
};

// Returns false with `error` ("line N: ...") on a syntax error.
bool parseKeyFile(std::string_view text, KeyFile& out, std::string& error);
// Resolves \s \t \n \r \\ (and \; when `inList`); other backslashes stay as written.
std::string unescapeKeyFileValue(std::string_view raw, bool inList = false);
// Splits a list value on unescaped ';', unescapes and trims each item; a
// trailing ';' does not add an empty item.
std::vector<std::string> splitKeyFileList(std::string_view raw);

// ---- addresses ------------------------------------------------------------

// One address of a local network device, as getifaddrs reports it.
struct LocalAddress {
    std::string device;
    net::IpAddress address;
    bool up = true;
    bool loopback = false;
};

std::vector<LocalAddress> systemLocalAddresses();

// Parses one --interface value into `out` (several entries for a device
// name or "any"). Returns false with a reason in `error`.
bool parseInterface(std::string_view text, const std::vector<LocalAddress>& local,
                    std::vector<InterfaceSpec>& out, std::string& error);

// [HOST:]PORT for --listen-*; a bare port yields 0.0.0.0:PORT and [::]:PORT.
bool parseListen(std::string_view text, std::vector<net::Endpoint>& out, std::string& error);
// HOST:PORT with both parts required.
bool parseHostPort(std::string_view text, net::Endpoint& out, std::string& error);
// A literal address (IPv6 may be bracketed) or a DNS name resolved once.
std::optional<net::IpAddress> resolveHost(std::string_view host, std::string& error);

// ---- the whole parse --------------------------------------------------------

struct ParseEnvironment {
    std::string defaultConfigFile = "/etc/rtpengine/rtpengine.conf";
    // Device addresses for --interface; nullptr = ask the system.
    const std::vector<LocalAddress>* localAddresses = nullptr;
};

ParseResult parseOptions(int argc, char** argv, Options& opts, const ParseEnvironment& env);

}  // namespace ngm::app::detail
