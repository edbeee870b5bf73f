// Network byte order for the packet layer: the shared loads and stores of
// tdm/bits/byte_order.h, named in this namespace for its callers.
#pragma once

#include "tdm/bits/byte_order.h"

namespace trunkgw::net {

using bytes::load_be16;
using bytes::load_be32;
using bytes::store_be16;
using bytes::store_be32;

}  // namespace trunkgw::net
