// Man pages made from the option table (ngmediad(8)) and from ngmedia-ctl's
// usage text (ngmedia-ctl(8)), so the pages cannot drift from the programs:
// the build runs tools/ngm-manpage, which prints these.
#pragma once

#include <string>
#include <string_view>

namespace ngm::app {

// ngmediad(8) in roff (man(7) macros): every option of the table.
std::string daemonManPage();
// ngmedia-ctl(8): `usage` is the text `ngmedia-ctl --help` prints.
std::string ctlManPage(std::string_view usage);
// Text made safe for roff: backslashes, hyphens (as \-), and a leading '.'
// or '\'' that would start a request.
std::string roffEscape(std::string_view text);

}  // namespace ngm::app
