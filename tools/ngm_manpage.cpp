// ngm-manpage: prints ngmediad(8) or ngmedia-ctl(8), made from the option
// table and from ngmedia-ctl's usage text. Run by the build (target manpages).
#include <cstdio>
#include <cstring>
#include <string>

#include "app/options_man.h"
#include "ngmedia_ctl_usage.h"

int main(int argc, char** argv) {
    std::string page;
    if (argc == 2 && strcmp(argv[1], "ngmediad") == 0)
        page = ngm::app::daemonManPage();
    else if (argc == 2 && strcmp(argv[1], "ngmedia-ctl") == 0)
        page = ngm::app::ctlManPage(ngm::ctl::kUsage);
    else {
        fputs("usage: ngm-manpage ngmediad|ngmedia-ctl\n", stderr);
        return 2;
    }
    return fwrite(page.data(), 1, page.size(), stdout) == page.size() ? 0 : 1;
}
