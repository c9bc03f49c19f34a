// Call details as `query` and `delete` replies carry them.
#pragma once

#include "bencode/value.h"
#include "session/call.h"
#include "session/flags.h"

namespace ngm::control {

// Adds created, created_us, last signal, SSRC, tags and totals to `out`.
void encodeCallDetails(const session::Call& call, const session::Flags& f, bencode::Value& out,
                       bencode::Document& d);

}  // namespace ngm::control
