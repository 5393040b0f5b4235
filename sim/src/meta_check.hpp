#pragma once
// Checks a simulator's meta before it is sent to mosaik (not installed).

#include <uvmas/sim/mosaik.hpp>

namespace uvmas::sim::detail {

/// Throws ValueError("invalid meta: ...") for a meta that mosaik 3 would
/// refuse or misread: an api_version other than "3.<minor>[.<patch>]", a
/// reserved or doubled model / extra-method name, an attribute both trigger
/// and non-trigger (or persistent and non-persistent), a trigger or
/// persistence list naming something that is not in `attrs`, or a list the
/// simulator type forbids (time-based: trigger, non-persistent; event-based:
/// non-trigger, persistent).
void check_meta(const Meta& meta);

}  // namespace uvmas::sim::detail
