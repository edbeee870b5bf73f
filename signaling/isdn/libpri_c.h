// libpri's header has no extern "C" of its own: include it through here.
#pragma once

extern "C" {
#include <libpri.h>
}
