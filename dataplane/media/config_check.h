// The result of checking a media config: 0 or a negative errno, and a
// sentence for the control side's exception or log. Data-path code returns
// the errno; constructors throw std::invalid_argument with the reason.
#pragma once

namespace trunkgw::media {

struct ConfigCheck {
    int error = 0;              // 0, -EINVAL (a bad value or combination) or -ERANGE (over a limit)
    const char* reason = "ok";  // static storage

    bool ok() const { return error == 0; }
};

}  // namespace trunkgw::media
