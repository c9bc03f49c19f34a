// ngmedia-ctl's --help text. Also the source of its man page (ngm-manpage
// renders ngmedia-ctl(8) from it), so the two cannot disagree.
#pragma once

namespace ngm::ctl {

inline constexpr const char* kUsage = R"(
    ngmedia-ctl [ -ip <ipaddress>[:<port>] -port <port> ] <command>

    Supported commands are:

    help                       : generated complete list of commands

    list <option>
         help                  : generated complete list of sub-commands
         numsessions           : print the number of sessions
         maxsessions           : print the number of allowed sessions
         maxopenfiles          : print the number of allowed open files
         maxcpu                : print maxmimum CPU usage allowed
         maxload               : print maxmimum load average allowed
         maxbw                 : print maxmimum bandwidth usage average allowed
         sessions <callid>     : print detail about one session
         sessions all          : print one-liner all sessions information
         sessions own          : print one-liner own sessions information
         sessions foreign      : print one-liner foreign sessions information
         totals                : print total statistics
         jsonstats             : print total statistics in JSON format
         timeout               : print timeout parameter
         silenttimeout         : print silent-timeout parameter
         finaltimeout          : print final-timeout parameter
         offertimeout          : print offer-timeout parameter
         loglevels             : print available log levels
         loglevel              : print current log levels
         loglevel <system>     : print one current log level
         controltos            : print control-tos parameter
         deletedelay           : print delete-delay parameter
         interfaces            : print local interface/port statistics
         transcoders           : print transcoding statistics

    get                        : get is an alias for list, same parameters apply

    terminate <option>
         <callid>              : session is immediately terminated
         all                   : terminates all current sessions
         own                   : terminates own current sessions
         foreign               : terminates foreign current sessions

    set <option>
         help                  : generated complete list of sub-commands
         maxsessions  <int>    : set the max nr of allowed sessions
         maxopenfiles <uint>   : set the max nr of allowed open files
         maxcpu <float>        : set maxmimum CPU usage allowed
         maxload <float>       : set maxmimum load average allowed
         maxbw <uint>          : set maxmimum bandwidth usage average allowed
         timeout <uint>        : set the --timeout parameter 
         silenttimeout <uint>  : set the --silent-timeout parameter 
         finaltimeout <uint>   : set the --final-timeout parameter 
         offertimeout <uint>   : set the --offer-timeout parameter 
         loglevel <uint>       : set all log levels to new value (1-7)
         loglevel <sys> <uint> : set one log level to new value (1-7)
         controltos            : set the --control-tos parameter
         deletedelay           : set the --delete-delay parameter

    params <option>
         start                 : lists the initial values of all the configuration file parameters
         current               : lists the present values of all the configuration file parameters
         diff                  : compares initial and present values of all the configuration file parameters and lists the updated parameters
         revert                : reverts the values of all the configuration file parameters to their initial values

    ksadd [ keyspace <uint>]
         keyspace <uint>       : subscribe to 'keyspace' database

    ksrm [ keyspace <uint>]
         keyspace <uint>       : unsubscribe to 'keyspace' database
                               : remove all foreign calls for that 'keyspace'

    kslist                     : print all currently subscribed keyspaces

    active                     : set all running sessions to 'owned'
    standby                    : set all running sessions to 'foreign'

    debug <callid> <on/off>    : set debugging flag for given call

    call <callid> info|terminate|debug <on/off>|tag <tag> info
                               : one call, or one of its participants

    Options:
    -ip <address>[:<port>]     : the daemon's CLI address (default 127.0.0.1)
    -port <port>               : the daemon's CLI port (default 9900)
    -config-file <file>        : read listen-cli from the [rtpengine] section
                                 (default /etc/rtpengine/rtpengine.conf)

    Return Value:
    0 on success with output from server side, other values for failure.

)";

}  // namespace ngm::ctl
